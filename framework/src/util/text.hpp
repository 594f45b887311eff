// Private text helpers: "did you mean", number formatting, escaping for CSV, terminals and
// Markdown (JSON: util/json.hpp).
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

/// Whether printable() keeps line feeds and tabs (text of several lines) or escapes them too
/// (one table cell, one name).
enum class Newlines { keep, escape };

/// `s` safe to show on a terminal or in a file people read: every control character (C0, DEL,
/// the C1 controls U+0080..U+009F), every byte that is not part of valid UTF-8 and every NUL is
/// shown as `\xNN` (ESC as `\x1b`), byte by byte, so text from users and plugins cannot move the
/// cursor, recolour or retitle the terminal, or cut a message short. Line feeds and tabs are kept
/// with Newlines::keep. Valid UTF-8 text is returned unchanged; printable(printable(s)) ==
/// printable(s).
std::string printable(std::string_view s, Newlines newlines = Newlines::keep);

/// The HTML entity of `c` when it is one of `&`, `<`, `>`, `"` ("&amp;", "&lt;", "&gt;",
/// "&quot;"), else empty: the escaping of HTML text and, but for `"`, of Markdown inline text.
std::string_view html_entity(char c);

/// `s` as Markdown inline text that renders as exactly these characters and nothing more: no
/// emphasis, links, images, code, HTML or entities (`\`, `` ` ``, `#`, `*`, `_` at a word's
/// edge, `[`, `]`, `|`, `~` are backslash-escaped; `&`, `<`, `>` become entities), line breaks as
/// spaces, control characters as by printable(). For text inside a construct: a table cell, a
/// heading after its `#`s, bold text.
std::string markdown_inline(std::string_view s);

/// markdown_inline(s) that also opens no block at the start of a line (a list item "- x",
/// "1. x"; headings and quotes cannot start): for paragraphs and list items.
std::string markdown_text(std::string_view s);

/// The backtick fence for a Markdown code block holding `code`: three backticks, or one more
/// than the longest run of backticks in `code`, so no line inside can close it.
std::string markdown_fence(std::string_view code);

}  // namespace kcube::text
