// read_sample_log(): the lines of a log file, as CSV records or JSON objects, become rows for
// sample_log::RowReader (sdk/sample_log_rows.hpp), which checks them and builds the SampleLog.
#include "kcube/sample_log.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kcube/error.hpp"
#include "sdk/sample_log_rows.hpp"
#include "util/csv_fields.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

namespace fs = std::filesystem;
using csv::Issues;
using Format = SampleLogOptions::Format;
using sample_log::Cells;
using sample_log::Column;
using sample_log::max_file_bytes;
using sample_log::max_record_bytes;
using sample_log::RowReader;

constexpr std::size_t at(Column column) {
  return static_cast<std::size_t>(column);
}

// ---- Lines ---------------------------------------------------------------------------------

// Calls take(line, number) for every physical line of `in` (its "\n" or "\r\n" end and a UTF-8
// BOM removed; 1-based numbers) until the end or until the reader says to stop. A line longer
// than max_record_bytes or a stream longer than max_file_bytes ends reading with an error.
template <class Take>
void for_each_line(std::istream& in, RowReader& reader, Take take) {
  std::vector<char> buffer(max_record_bytes + 2);
  std::size_t number = 0;
  std::uintmax_t bytes = 0;
  Issues& issues = reader.issues();
  while (true) {
    if (const std::string stop = reader.stop_reason(number); !stop.empty()) {
      if (in.peek() != std::istream::traits_type::eof())
        issues.stopped_before(number + 1, stop);
      break;
    }
    in.getline(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0 && in.eof())
      break;
    ++number;
    reader.saw_line(number);
    if (in.fail() && !in.eof()) {
      issues.add(number, "the line is longer than " + std::to_string(max_record_bytes) + " bytes",
                 "a sample log has one sample per line (a CSV row, or a JSON object)");
      reader.halt("at a line too long to read");
      in.clear();
      continue;
    }
    bytes += got;
    if (bytes > max_file_bytes) {
      issues.add(number, "the log is longer than " + std::to_string(max_file_bytes) + " bytes",
                 "split the log, or keep a sample of its questions");
      reader.halt("at the size limit");
      continue;
    }
    std::string_view line(buffer.data(), in.eof() ? got : got - 1);
    if (number == 1 && line.starts_with(csv::utf8_bom))
      line.remove_prefix(csv::utf8_bom.size());
    if (line.ends_with('\r'))
      line.remove_suffix(1);
    take(line, number);
  }
  if (in.bad())
    throw RuntimeFailure(issues.where(number + 1) + "reading failed");
}

// ---- CSV -----------------------------------------------------------------------------------

// The header of a CSV log and how its fields map to columns.
class CsvRows {
 public:
  explicit CsvRows(RowReader& reader) : reader_(reader) {}

  // One record (a row with its quoted line breaks) that starts at `line`.
  void take(std::string_view record, std::size_t line) {
    Issues& issues = reader_.issues();
    const bool is_header = !reader_.started();
    if (is_header) {
      reader_.start(line, true);
      header_line_ = line;
      delimiter_ = csv::header_delimiter(record);
    }
    bool too_many = false;
    const auto fields = csv::split_fields(record, delimiter_, line, issues, too_many);
    if (is_header) {
      if (too_many) {
        issues.add(line, "the header has more than " + std::to_string(csv::max_fields) + " columns",
                   std::string("name the columns the log has: ") + sample_log::columns_read);
      }
      header_ok_ = fields && reader_.take_header(*fields, line, columns_);
      return;
    }
    reader_.count_row();
    if (too_many) {
      issues.add(line,
                 "the row has more than " + std::to_string(csv::max_fields) +
                     " fields but the header (line " + std::to_string(header_line_) + ") has " +
                     std::to_string(columns_.size()),
                 "write one field per header column");
    }
    if (!header_ok_ || !fields)
      return;
    if (fields->size() != columns_.size()) {
      issues.add(line,
                 "the row has " + std::to_string(fields->size()) + " fields but the header (line " +
                     std::to_string(header_line_) + ") has " + std::to_string(columns_.size()),
                 "write one field per header column (quote a field that holds the delimiter; an "
                 "empty value is nothing between two delimiters)");
      return;
    }
    Cells cells{};
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i])
        cells[at(*columns_[i])] = (*fields)[i];
    }
    reader_.take_row(cells, line);
  }

 private:
  RowReader& reader_;
  std::size_t header_line_ = 0;
  char delimiter_ = ',';
  bool header_ok_ = false;
  std::vector<std::optional<Column>> columns_;  // by field: the column, or none (ignored)
};

// ---- JSON Lines ----------------------------------------------------------------------------

// "parse error at line 1, column 5: ..." without nlohmann's "[json.exception...] " prefix; the
// line is the log's, not the parser's.
std::string json_reason(std::string_view what) {
  if (const auto end = what.find("] "); what.starts_with("[json.exception") && end != what.npos)
    what.remove_prefix(end + 2);
  std::string reason(what);
  if (const auto at_line = reason.find("at line 1, column"); at_line != reason.npos)
    reason.replace(at_line, std::string_view("at line 1, column").size(), "at column");
  return text::printable(reason, text::Newlines::escape);
}

// One JSON object: its keys are the columns. Numbers and booleans become their text, so that
// both formats are checked alike.
void take_json_line(RowReader& reader, std::string_view text, std::size_t line) {
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    reader.issues().add(
        line, "the line is not valid JSON (" + json_reason(e.what()) + ")",
        "write one JSON object per line, such as {\"question\": \"q1\", \"correct\": 1}");
    reader.count_row();
    return;
  }
  if (!reader.started())
    reader.start(line, false);
  reader.count_row();
  if (!value.is_object()) {
    reader.issues().add(
        line, std::string("the line is a JSON ") + value.type_name() + ", not an object",
        "write one JSON object per line, such as {\"question\": \"q1\", \"correct\": 1}");
    return;
  }
  std::array<std::string, sample_log::column_count> texts;
  Cells cells{};
  bool usable = true;
  for (const auto& [key, field] : value.items()) {
    const auto column = sample_log::column_named(key);
    if (!column) {
      reader.ignore_key(key, line);
      continue;
    }
    std::string& out = texts[at(*column)];
    switch (field.type()) {
      case nlohmann::json::value_t::null:
        break;
      case nlohmann::json::value_t::string:
        out = field.get_ref<const std::string&>();
        break;
      case nlohmann::json::value_t::boolean:
        out = field.get<bool>() ? "true" : "false";
        break;
      case nlohmann::json::value_t::number_integer:
        out = std::to_string(field.get<std::int64_t>());
        break;
      case nlohmann::json::value_t::number_unsigned:
        out = std::to_string(field.get<std::uint64_t>());
        break;
      case nlohmann::json::value_t::number_float:
        out = text::format_real(field.get<double>());
        break;
      default:
        reader.issues().add(line, key + " is a JSON " + field.type_name(),
                            "write a string or a number (null or no key: no value)");
        usable = false;
        break;
    }
    cells[at(*column)] = text::trim(out);
  }
  if (usable)
    reader.take_row(cells, line);
}

bool blank(std::string_view line) {
  return line.find_first_not_of(csv::blanks) == std::string_view::npos;
}

// CSV: records are lines, but a quoted field may hold line breaks; its lines are joined with
// "\n" into one record, reported at its first line.
void read_csv(std::istream& in, RowReader& reader) {
  CsvRows csv(reader);
  std::string record;
  std::size_t record_line = 0;
  bool open = false;  // a quoted field is open at the end of the record so far
  for_each_line(in, reader, [&](std::string_view line, std::size_t number) {
    if (const auto bad = text::find_non_text(line)) {
      reader.non_text(number, line, *bad);
      open = false;
      return;
    }
    if (!open) {
      if (blank(line))
        return;
      if (!csv::quote_open(line)) {
        csv.take(line, number);
        return;
      }
      record.assign(line);
      record_line = number;
      open = true;
      return;
    }
    if (record.size() + 1 + line.size() > max_record_bytes) {
      reader.issues().add(record_line,
                          "the row starting here is longer than " +
                              std::to_string(max_record_bytes) +
                              " bytes: a quoted field opened here may never close",
                          "close every quoted field (write \"\" for a quote inside it)");
      reader.halt("in a row too long to read");
      open = false;
      return;
    }
    record += '\n';
    record += line;
    if (csv::quote_open(line)) {
      open = false;
      csv.take(record, record_line);
    }
  });
  if (open) {
    reader.issues().add(record_line, "a quoted field opened in this row is never closed",
                        "end the field with \" (write \"\" for a quote inside it)");
  }
}

void read_jsonl(std::istream& in, RowReader& reader) {
  for_each_line(in, reader, [&](std::string_view line, std::size_t number) {
    if (const auto bad = text::find_non_text(line)) {
      reader.non_text(number, line, *bad);
      return;
    }
    if (!blank(line))
      take_json_line(reader, line, number);
  });
}

// ---- Entry ---------------------------------------------------------------------------------

void check_options(const SampleLogOptions& options) {
  std::vector<std::string> problems;
  const auto check_pair = [&](const std::optional<double>& a, std::string_view a_name,
                              const std::optional<double>& b, std::string_view b_name,
                              std::string_view unit) {
    for (const auto& [value, name] : {std::pair{a, a_name}, std::pair{b, b_name}}) {
      if (value && !(std::isfinite(*value) && *value >= 0.0)) {
        problems.push_back("sample log option " + std::string(name) + " = " +
                           text::format_real(*value) + " is not a number >= 0; it is in " +
                           std::string(unit));
      }
    }
    if (a.has_value() != b.has_value()) {
      problems.push_back("sample log option " + std::string(a ? a_name : b_name) +
                         " is given without " + std::string(a ? b_name : a_name) + "; give both (" +
                         std::string(unit) + " of input and of output tokens) or neither");
    }
  };
  check_pair(options.c_in, "c_in", options.c_out, "c_out", "USD per token");
  check_pair(options.t_in, "t_in", options.t_out, "t_out", "seconds per token");
  if (!problems.empty())
    throw Error(text::join(problems, "\n"));
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

Format detect_format(const fs::path& file) {
  const std::string extension = lower(file.extension().string());
  if (extension == ".csv" || extension == ".tsv")
    return Format::csv;
  if (extension == ".jsonl" || extension == ".ndjson")
    return Format::jsonl;
  std::ifstream in(file, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  std::string_view text(head);
  if (text.starts_with(csv::utf8_bom))
    text.remove_prefix(csv::utf8_bom.size());
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  return first != text.npos && text[first] == '{' ? Format::jsonl : Format::csv;
}

}  // namespace

SampleLog read_sample_log(const fs::path& file, const SampleLogOptions& options) {
  check_options(options);
  const std::string shown_path = file.string();
  std::ifstream in = csv::open_file(file);
  std::error_code error;
  if (const auto size = fs::file_size(file, error); !error && size > max_file_bytes) {
    throw Error(shown_path + ": the log is " + std::to_string(size) + " bytes, more than " +
                std::to_string(max_file_bytes) +
                "; split the log, or keep a sample of its questions");
  }
  const Format format = options.format == Format::automatic ? detect_format(file) : options.format;
  RowReader reader(shown_path, options);
  if (format == Format::jsonl)
    read_jsonl(in, reader);
  else
    read_csv(in, reader);
  return reader.finish();
}

}  // namespace kcube
