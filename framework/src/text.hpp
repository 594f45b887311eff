// Private text helpers: "did you mean", number formatting, JSON escaping.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kcube::text {

/// Levenshtein edit distance between a and b.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a plausible typo
/// (distance <= max(2, |word| / 3)); ties go to the first candidate. None for a word longer
/// than 256 bytes.
std::optional<std::string> closest(std::string_view word, std::span<const std::string> candidates);

/// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);

/// Shortest text that reads back to exactly `value` ("0.1", "1e-06", "inf", "-inf", "nan").
std::string format_real(double value);

/// `value` with `digits` significant digits, for tables meant for people.
std::string format_fixed(double value, int digits);

/// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

/// `s` as one CSV field (RFC 4180): quoted, with quotes doubled, when it holds ',', '"', CR or
/// LF; as is otherwise.
std::string csv_field(std::string_view s);

/// `items` joined with `separator`.
std::string join(std::span<const std::string> items, std::string_view separator);

/// `s` without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

/// True when `s` is kebab-case: [a-z0-9]+(-[a-z0-9]+)*.
bool is_kebab_case(std::string_view s);

/// Byte offset of the first byte of `s` that is no part of UTF-8 text: an invalid, overlong or
/// surrogate UTF-8 sequence, or a control character other than tab, CR and LF. nullopt when `s`
/// is text. (Binary input is refused with this offset rather than echoed to a terminal.)
std::optional<std::size_t> find_non_text(std::string_view s);

}  // namespace kcube::text
