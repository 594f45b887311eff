#include "util/csv_fields.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::csv {

void Issues::add(std::size_t line, std::string_view what, std::string_view fix) {
  if (count_ == 0)
    first_line_ = line;
  // Header problems and end-of-file checks are found out of line order; people read top down.
  const Key key{line, count_++};
  if (issues_.size() == max_listed_errors && !(key < issues_.back().key))
    return;
  const auto at = std::upper_bound(issues_.begin(), issues_.end(), key,
                                   [](const Key& k, const Issue& issue) { return k < issue.key; });
  issues_.insert(at, {key, where(line) + std::string(what) + "; " + std::string(fix)});
  if (issues_.size() > max_listed_errors)
    issues_.pop_back();
}

std::string Issues::stop_reason(std::size_t line) const {
  if (count_ >= max_counted_errors)
    return "after " + std::to_string(max_counted_errors) + " errors";
  if (count_ > 0 && line - first_line_ >= max_lines_after_error)
    return std::to_string(max_lines_after_error) + " lines after the first error";
  return {};
}

void Issues::raise() const {
  std::string message;
  for (std::size_t i = 0; i < issues_.size(); ++i) {
    if (i > 0)
      message += '\n';
    message += issues_[i].message;
  }
  const std::size_t rest = count_ - issues_.size();
  if (rest > 0)
    message += "\n... and " + std::to_string(rest) + (rest == 1 ? " more error" : " more errors");
  if (stopped_before_ != 0) {
    message += std::string(rest > 0 ? "; r" : "\n... r") + "eading stopped before line " +
               std::to_string(stopped_before_) + ", " + stop_reason_;
  }
  throw Error(message);
}

std::ifstream open_file(const std::filesystem::path& path) {
  const std::string shown = path.string();
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw Error("cannot open '" + shown +
                "': " + std::make_error_code(std::errc::is_a_directory).message());
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int reason = errno;
    throw Error("cannot open '" + shown +
                "': " + (reason != 0 ? std::generic_category().message(reason) : "unknown reason"));
  }
  return in;
}

std::optional<std::vector<std::string>> split_fields(std::string_view line, char delimiter,
                                                     std::size_t line_number, Issues& issues,
                                                     bool& too_many) {
  // Blanks around a field are dropped, except the delimiter itself: in a TSV file two tabs in a
  // row enclose an empty field.
  const std::string_view pad = delimiter == '\t' ? std::string_view(" ") : blanks;
  std::vector<std::string> fields;
  std::size_t i = 0;
  too_many = false;
  while (true) {
    if (fields.size() == max_fields) {
      too_many = true;
      return std::nullopt;
    }
    const std::size_t column = fields.size() + 1;
    while (i < line.size() && pad.find(line[i]) != std::string_view::npos)
      ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size() && !closed) {
        if (line[i] != '"') {
          field += line[i++];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          i += 2;
        } else {
          closed = true;
          ++i;
        }
      }
      if (!closed) {
        issues.add(line_number,
                   "field " + std::to_string(column) + " opens a quote that is never closed",
                   "end the field with \" on the same line (write \"\" for a quote inside it)");
        return std::nullopt;
      }
      while (i < line.size() && pad.find(line[i]) != std::string_view::npos)
        ++i;
      if (i < line.size() && line[i] != delimiter) {
        issues.add(line_number,
                   "field " + std::to_string(column) + " has text after its closing quote",
                   "put the whole field inside the quotes, or drop the quotes");
        return std::nullopt;
      }
      field = std::string(kcube::text::trim(field));
    } else {
      const std::size_t end = std::min(line.find(delimiter, i), line.size());
      field = std::string(kcube::text::trim(line.substr(i, end - i)));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size())
      return fields;
    ++i;  // the delimiter; one at the very end yields one more, empty, field
  }
}

bool quote_open(std::string_view text) {
  return std::count(text.begin(), text.end(), '"') % 2 == 1;
}

char header_delimiter(std::string_view header) {
  bool quoted = false, tab = false;
  for (const char c : header) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      return ',';
    else if (c == '\t' && !quoted)
      tab = true;
  }
  return tab ? '\t' : ',';
}

Number parse_number(std::string_view text) {
  if (text.empty())
    return {NumberStatus::empty};
  // std::from_chars rejects the leading '+' that spreadsheets sometimes write.
  if (text.size() > 1 && text[0] == '+' && text[1] != '+' && text[1] != '-')
    text.remove_prefix(1);
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range && stop == end)
    return {NumberStatus::out_of_range};
  if (ec != std::errc() || stop != end)
    return {NumberStatus::not_a_number};
  if (std::isnan(value))
    return {NumberStatus::nan};
  if (std::isinf(value))
    return {NumberStatus::infinite};
  // -0 would print as "-0" in every report downstream; it means 0.
  return {NumberStatus::ok, value == 0.0 ? 0.0 : value};
}

std::optional<std::string> number_problem(std::string_view name, std::string_view shown,
                                          const Number& number) {
  const std::string column(name);
  switch (number.status) {
    case NumberStatus::ok:
      return std::nullopt;
    case NumberStatus::not_a_number:
      return column + " '" + std::string(shown) + "' is not a number";
    case NumberStatus::out_of_range:
      return column + " '" + std::string(shown) + "' is out of the range of a double";
    case NumberStatus::nan:
      return "NaN is not a valid " + column;
    case NumberStatus::infinite:
      return "infinity ('" + std::string(shown) + "') is not a valid " + column;
    case NumberStatus::empty:
      break;
  }
  return column + " is empty";
}

}  // namespace kcube::csv
