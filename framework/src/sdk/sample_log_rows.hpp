// Private: the rows of a sample log, once read from CSV or JSON Lines (sdk/sample_log.cpp),
// become a SampleLog here: values checked, rows grouped by question, samples ordered, answers
// numbered, cost and latency worked out. Every problem goes to one csv::Issues, thrown together
// by RowReader::finish().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kcube/sample_log.hpp"
#include "util/csv_fields.hpp"

namespace kcube::sample_log {

/// Limits against hostile input (documented with read_sample_log()).
inline constexpr std::uintmax_t max_file_bytes = std::uintmax_t{2} << 30;
inline constexpr std::size_t max_record_bytes = std::size_t{1} << 20;
inline constexpr std::size_t max_rows = 10'000'000;

enum class Column : std::size_t {
  question,
  correct,
  sample,
  answer,
  score,
  input_tokens,
  output_tokens,
  cost,
  latency,
};
inline constexpr std::size_t column_count = 9;

/// The columns, for messages.
inline constexpr const char* columns_read =
    "question, correct, sample, answer, score, input_tokens, output_tokens, cost and latency";

/// The column named `name` (a CSV header field, a JSON key), or none.
std::optional<Column> column_named(std::string_view name);

/// One row's fields by column; empty = empty or absent.
using Cells = std::array<std::string_view, column_count>;

/// The measures a row keeps: score, input_tokens, output_tokens, cost, latency.
inline constexpr std::size_t measure_count = 5;

/// A row as read, before the log is known whole (which columns it has, so how cost is computed).
struct RawRow {
  std::size_t line = 0;
  double position = 0.0;  // the `sample` column
  std::array<double, measure_count> measures{};
  std::uint32_t answer = 0;  // numbered in row order; renumbered in sample order at the end
  bool correct = false;
};

/// Where an answer of a question was first marked correct and wrong (0: not yet).
struct Verdict {
  std::size_t correct_line = 0;
  std::size_t wrong_line = 0;
};

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <class Value>
using TextMap = std::unordered_map<std::string, Value, TextHash, std::equal_to<>>;

struct QuestionRows {
  std::string id;
  std::vector<RawRow> rows;
  TextMap<std::uint32_t> answers;  // answer -> its id in row order
  std::vector<Verdict> verdicts;   // by answer id - 1
};

/// How an optional column is filled, to tell "empty everywhere" (absent) from "empty in places"
/// (an error: a gap would be read as a value).
struct Fill {
  std::size_t empty_rows = 0;
  std::size_t first_empty_line = 0;
  std::size_t first_filled_line = 0;
};

/// Where a cost or a latency comes from.
enum class Source { column, tokens, none };

/// Takes the rows of one log, in file order, and builds its SampleLog.
class RowReader {
 public:
  RowReader(std::string_view source, const SampleLogOptions& options)
      : issues_(source), options_(options) {}

  csv::Issues& issues() { return issues_; }

  /// Why reading should stop once line `line` is read, or "" to read on.
  std::string stop_reason(std::size_t line) const {
    return halted_.empty() ? issues_.stop_reason(line) : halted_;
  }

  /// Reading must stop: the rest of the input cannot be read in a meaningful way.
  void halt(std::string reason) { halted_ = std::move(reason); }

  /// Line `line` was read (the last one, for a message about an empty log).
  void saw_line(std::size_t line) { last_line_ = line; }

  /// Byte `at` of line `line`, `text`, is no part of UTF-8 text.
  void non_text(std::size_t line, std::string_view text, std::size_t at);

  /// The first line with content: a CSV header (`header`), or the first JSON object.
  void start(std::size_t line, bool header);
  bool started() const { return first_line_.has_value(); }

  /// CSV: the header's fields `names` at `line`, as `columns` by field (none: ignored, named in
  /// a note). False when a required column is missing: then no row can be read.
  bool take_header(const std::vector<std::string>& names, std::size_t line,
                   std::vector<std::optional<Column>>& columns);

  /// A row was seen, valid or not.
  void count_row() { ++rows_seen_; }

  /// JSON Lines: a key kcube does not read, on `line`.
  void ignore_key(const std::string& key, std::size_t line) { unknown_keys_.emplace(key, line); }

  /// One row at `line`, split into its columns.
  void take_row(const Cells& cells, std::size_t line);

  /// The log, or kcube::Error with every problem found.
  SampleLog finish();

 private:
  std::optional<bool> read_correct(std::string_view text, std::size_t line);
  std::optional<double> read_measure(Column column, std::string_view text, std::size_t line);
  QuestionRows& question_rows(std::string_view id);
  std::uint32_t answer_id(QuestionRows& question, std::string_view answer, bool correct,
                          std::size_t line);
  bool filled(Column column) const {
    return fills_[static_cast<std::size_t>(column)].first_filled_line != 0;
  }
  void check_fills();
  Source cost_source();
  Source latency_source();
  std::string missing_tokens() const;
  void order_samples();
  void note_unknown_keys();
  SampleLog build(Source cost, Source latency);

  csv::Issues issues_;
  const SampleLogOptions& options_;
  std::string halted_;
  std::size_t last_line_ = 0;
  std::optional<std::size_t> first_line_;            // the header, or the first JSON object
  std::optional<std::size_t> header_line_;           // CSV
  std::map<std::string, std::size_t> unknown_keys_;  // JSON keys kcube does not read -> line
  std::size_t rows_seen_ = 0;                        // valid or not
  std::size_t rows_ = 0;                             // taken
  std::array<Fill, column_count> fills_{};
  std::vector<QuestionRows> questions_;
  TextMap<std::size_t> question_index_;
  std::size_t last_question_ = 0;
  std::vector<std::string> notes_;
};

}  // namespace kcube::sample_log
