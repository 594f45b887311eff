#include "manifest/flow_depth.hpp"

namespace kcube {
namespace {

constexpr auto npos = std::string_view::npos;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// True when `at` is past the end, a line break or a blank: what must follow an indicator.
bool space_or_end(std::string_view text, std::size_t at) {
  return at >= text.size() || text[at] == '\n' || is_blank(text[at]);
}

std::size_t line_end(std::string_view text, std::size_t at) {
  const auto end = text.find('\n', at);
  return end == npos ? text.size() : end;
}

// Offset just past the quoted scalar that opens at `at`, or npos when it never closes.
std::size_t skip_quoted(std::string_view text, std::size_t at) {
  const char quote = text[at];
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escaped character, '"' included
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside a single-quoted scalar
        continue;
      }
      return i + 1;
    }
  }
  return npos;
}

}  // namespace

std::optional<std::size_t> flow_too_deep(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;               // flow collections open here
  std::size_t indent = 0;              // of the current line
  std::optional<std::size_t> literal;  // in a block scalar begun on a line of this indent
  bool line_start = true;
  bool node_start = true;  // block context: a node may begin here
  std::size_t i = 0;
  while (i < text.size()) {
    if (line_start) {
      line_start = false;
      std::size_t first = i;
      while (first < text.size() && text[first] == ' ')
        ++first;
      const bool blank = first >= text.size() || text[first] == '\n' || text[first] == '\r';
      if (literal && (blank || first - i > *literal)) {
        i = line_end(text, i);  // a line of the block scalar
        continue;
      }
      literal.reset();
      indent = first - i;
      node_start = true;
      i = first;
      continue;
    }
    const char c = text[i];
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (is_blank(c)) {
      ++i;
      continue;
    }
    const char before = i == 0 ? '\n' : text[i - 1];
    const bool after_space = before == '\n' || is_blank(before);
    if (c == '#' && after_space) {
      i = line_end(text, i);
      continue;
    }
    const bool flow = depth > 0;
    const bool token_start =
        flow ? after_space || std::string_view("[{,:").find(before) != npos : node_start;
    if ((c == '"' || c == '\'') && token_start) {
      i = skip_quoted(text, i);
      if (i == npos)
        return std::nullopt;
      node_start = false;
      continue;
    }
    if ((c == '[' || c == '{') && (flow || node_start)) {
      if (++depth > limit)
        return i;
      ++i;
      continue;
    }
    ++i;
    if (flow) {
      if (c == ']' || c == '}')
        --depth;
      continue;
    }
    // Block context: indicators after which a node begins, block scalars, anchors and tags
    // (a node still follows them), and the document start marker.
    if ((c == '-' || c == '?' || c == ':') && space_or_end(text, i)) {
      node_start = true;
    } else if (c == '-' && before == '\n' && text.substr(i - 1, 3) == "---" &&
               space_or_end(text, i + 2)) {
      i += 2;
      node_start = true;
    } else if ((c == '|' || c == '>') && node_start) {
      literal = indent;
      i = line_end(text, i);
    } else if ((c == '&' || c == '!') && node_start) {
      while (!space_or_end(text, i))
        ++i;
    } else {
      node_start = false;
    }
  }
  return std::nullopt;
}

}  // namespace kcube
