#include "util/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

namespace kcube::text {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest(std::string_view word, std::span<const std::string> candidates) {
  // Nobody mistypes a name this long, and edit distances of long strings cost |a| x |b|.
  constexpr std::size_t kLongest = 256;
  if (word.size() > kLongest)
    return std::nullopt;
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    // The distance is at least the difference in length: skip what cannot win.
    const std::size_t gap = candidate.size() > word.size() ? candidate.size() - word.size()
                                                           : word.size() - candidate.size();
    if (gap >= best_distance)
      continue;
    const std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  auto best = closest(word, candidates);
  return best ? " (did you mean '" + *best + "'?)" : std::string();
}

std::string format_real(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

std::string format_fixed(double value, int digits) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  return buffer;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos)
    return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string join(std::span<const std::string> items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += separator;
    out += items[i];
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool is_kebab_case(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-')
    return false;
  char previous = 0;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-'))
      return false;
    previous = c;
  }
  return true;
}

namespace {

// Length of the valid UTF-8 sequence of a non-ASCII lead byte at s[i], and its code point; length
// 0 for an invalid, truncated, overlong or surrogate sequence or a code point past U+10FFFF.
std::pair<std::size_t, std::uint32_t> utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = static_cast<unsigned char>(s[i]);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((byte & 0xE0) == 0xC0) {
    length = 2;
    code = byte & 0x1Fu;
  } else if ((byte & 0xF0) == 0xE0) {
    length = 3;
    code = byte & 0x0Fu;
  } else if ((byte & 0xF8) == 0xF0) {
    length = 4;
    code = byte & 0x07u;
  }
  bool ok = length != 0 && i + length <= s.size();
  for (std::size_t j = 1; ok && j < length; ++j) {
    const auto next = static_cast<unsigned char>(s[i + j]);
    ok = (next & 0xC0) == 0x80;
    code = (code << 6) | (next & 0x3Fu);
  }
  static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (ok && (code < kMinimum[length] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF))
    ok = false;
  return ok ? std::pair{length, code} : std::pair{std::size_t{0}, std::uint32_t{0}};
}

void append_hex_byte(std::string& out, char c) {
  const auto byte = static_cast<unsigned char>(c);
  out += "\\x";
  out += "0123456789abcdef"[byte >> 4];
  out += "0123456789abcdef"[byte & 15];
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

std::optional<std::size_t> find_non_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte < 0x80) {
      if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r')
        return i;
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence(s, i).first;
    if (length == 0)
      return i;
    i += length;
  }
  return std::nullopt;
}

std::string printable(std::string_view s, Newlines newlines) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte < 0x80) {
      const bool kept = newlines == Newlines::keep && (byte == '\n' || byte == '\t');
      if ((byte < 0x20 && !kept) || byte == 0x7F)
        append_hex_byte(out, s[i]);
      else
        out += s[i];
      ++i;
      continue;
    }
    const auto [length, code] = utf8_sequence(s, i);
    if (length == 0) {
      append_hex_byte(out, s[i]);  // not UTF-8: this byte alone, then resynchronise
      ++i;
      continue;
    }
    for (std::size_t j = 0; j < length; ++j) {
      if (code >= 0x80 && code <= 0x9F)
        append_hex_byte(out, s[i + j]);  // a C1 control (U+009B is CSI on many terminals)
      else
        out += s[i + j];
    }
    i += length;
  }
  return out;
}

std::string_view html_entity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    default:
      return {};
  }
}

std::string markdown_inline(std::string_view s) {
  const std::string safe = printable(s);
  std::string out;
  out.reserve(safe.size());
  for (std::size_t i = 0; i < safe.size(); ++i) {
    const char c = safe[i];
    switch (c) {
      case '\n':
      case '\t':
        out += ' ';
        break;
      case '&':
      case '<':
      case '>':
        out += html_entity(c);
        break;
      case '\\':
      case '`':
      case '#':
      case '*':
      case '[':
      case ']':
      case '|':
      case '~':
        out += '\\';
        out += c;
        break;
      case '_': {
        // Inside a word (k_max) '_' is never emphasis; at a word's edge it can be.
        const bool inside =
            i > 0 && i + 1 < safe.size() && is_word_char(safe[i - 1]) && is_word_char(safe[i + 1]);
        if (!inside)
          out += '\\';
        out += c;
        break;
      }
      default:
        out += c;
    }
  }
  return out;
}

std::string markdown_text(std::string_view s) {
  std::string out = markdown_inline(s);
  // What the start would open: a list item ("- ", "+ ", "1. ", "1) "); a heading cannot start
  // ('#' is escaped) nor a block quote ('>' is '&gt;'). Each needs a space or the end after it.
  const auto opens_block = [&](std::size_t marker_end) {
    return marker_end == out.size() || out[marker_end] == ' ';
  };
  std::size_t digits = 0;
  while (digits < out.size() && out[digits] >= '0' && out[digits] <= '9')
    ++digits;
  if (!out.empty() && (out.front() == '-' || out.front() == '+') && opens_block(1)) {
    out.insert(out.begin(), '\\');
  } else if (digits > 0 && digits < out.size() && (out[digits] == '.' || out[digits] == ')') &&
             opens_block(digits + 1)) {
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(digits), '\\');
  }
  return out;
}

std::string markdown_fence(std::string_view code) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (const char c : code) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

}  // namespace kcube::text
