#include "sdk/sample_log_rows.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::sample_log {
namespace {

using csv::Number;
using csv::NumberStatus;

// A value in a message is cut to this many bytes: an answer can be a page of code.
constexpr std::size_t max_shown_bytes = 40;
// A `sample` position must be exact in a double.
constexpr double max_position = 9007199254740992.0;  // 2^53

constexpr std::array<std::string_view, column_count> column_names = {
    "question",     "correct",       "sample", "answer", "score",
    "input_tokens", "output_tokens", "cost",   "latency"};
// The optional numeric columns, in the order RawRow::measures keeps them.
constexpr std::array<Column, measure_count> measures = {
    Column::score, Column::input_tokens, Column::output_tokens, Column::cost, Column::latency};
// The optional columns that, once used, need a value in every row (`answer` may be empty).
constexpr std::array<Column, 6> filled_columns = {Column::sample,       Column::score,
                                                  Column::input_tokens, Column::output_tokens,
                                                  Column::cost,         Column::latency};

constexpr std::size_t at(Column column) {
  return static_cast<std::size_t>(column);
}

std::string name_of(Column column) {
  return std::string(column_names[at(column)]);
}

const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names(column_names.begin(), column_names.end());
  return names;
}

// `text` quoted for a message: control characters escaped, cut to max_shown_bytes.
std::string shown(std::string_view text) {
  const bool cut = text.size() > max_shown_bytes;
  return "'" + text::printable(text.substr(0, max_shown_bytes), text::Newlines::escape) +
         (cut ? "...'" : "'");
}

// What a valid value of `column` looks like: the "how to fix" half of a value message.
std::string expectation(Column column) {
  switch (column) {
    case Column::sample:
      return "sample is the sample's position within its question: write a whole number >= 0";
    case Column::score:
      return "score is a verifier's score, higher is better: write a number";
    case Column::input_tokens:
      return "input_tokens counts the prompt's tokens: write a number >= 0";
    case Column::output_tokens:
      return "output_tokens counts the completion's tokens: write a number >= 0";
    case Column::cost:
      return "cost is the sample's cost in USD: write a number >= 0";
    case Column::latency:
      return "latency is the sample's latency in seconds: write a number >= 0";
    case Column::question:
    case Column::correct:
    case Column::answer:
      break;
  }
  return "write a number";
}

}  // namespace

std::optional<Column> column_named(std::string_view name) {
  for (std::size_t i = 0; i < column_count; ++i) {
    if (column_names[i] == name)
      return static_cast<Column>(i);
  }
  return std::nullopt;
}

// Binary bytes are located, never echoed: a message must not carry them to a terminal.
void RowReader::non_text(std::size_t line, std::string_view text, std::size_t at) {
  const bool control = static_cast<unsigned char>(text[at]) < 0x20;
  issues_.add(line,
              "byte " + std::to_string(at + 1) + " of the line is " +
                  (control ? "a control character" : "not valid UTF-8") +
                  ": this does not look like a sample log",
              "save the log as UTF-8 text");
}

void RowReader::start(std::size_t line, bool header) {
  first_line_ = line;
  if (header)
    header_line_ = line;
}

bool RowReader::take_header(const std::vector<std::string>& names, std::size_t line,
                            std::vector<std::optional<Column>>& columns) {
  std::array<std::size_t, column_count> first{};  // column -> 1-based field, 0 = none
  std::vector<std::string> unknown;
  std::vector<std::string> ignored;
  columns.assign(names.size(), std::nullopt);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto column = column_named(names[i]);
    if (!column) {
      unknown.push_back(names[i]);
      continue;
    }
    if (std::size_t& seen = first[at(*column)]; seen != 0) {
      issues_.add(line,
                  "column '" + names[i] + "' appears twice (columns " + std::to_string(seen) +
                      " and " + std::to_string(i + 1) + ")",
                  "keep one of them");
      continue;
    }
    first[at(*column)] = i + 1;
    columns[i] = column;
  }
  bool ok = true;
  for (const Column required : {Column::question, Column::correct}) {
    if (first[at(required)] != 0)
      continue;
    ok = false;
    const auto guess = text::closest(name_of(required), unknown);
    issues_.add(line,
                "the header has no column '" + name_of(required) + "'" +
                    (guess ? " (is " + shown(*guess) + " it?)" : ""),
                "name the required columns question and correct; optional: sample, answer, "
                "score, input_tokens, output_tokens, cost, latency");
  }
  for (const std::string& name : unknown) {
    const std::string hint = text::did_you_mean(name, known_names());
    ignored.push_back(name.empty() ? "'' (no name)" : shown(name) + hint);
  }
  if (!ignored.empty()) {
    notes_.push_back(issues_.where(line) + "ignoring the column" +
                     (ignored.size() > 1 ? "s " : " ") + text::join(ignored, ", ") +
                     ", which kcube does not read (it reads " + columns_read + ")");
  }
  return ok;
}

void RowReader::take_row(const Cells& cells, std::size_t line) {
  if (++rows_ > max_rows) {
    issues_.add(line, "the log has more than " + std::to_string(max_rows) + " rows",
                "split the log, or keep a sample of its questions");
    halt("at the row limit");
    return;
  }
  bool ok = true;
  const std::string_view question = cells[at(Column::question)];
  if (question.empty()) {
    issues_.add(line, "question is empty", "every row names the question its sample answers");
    ok = false;
  }
  const std::optional<bool> correct = read_correct(cells[at(Column::correct)], line);
  ok = ok && correct;
  for (const Column column : filled_columns) {
    Fill& fill = fills_[at(column)];
    if (!cells[at(column)].empty()) {
      if (fill.first_filled_line == 0)
        fill.first_filled_line = line;
    } else if (fill.empty_rows++ == 0) {
      fill.first_empty_line = line;
    }
  }
  RawRow row;
  row.line = line;
  if (const std::string_view text = cells[at(Column::sample)]; !text.empty()) {
    const auto position = read_measure(Column::sample, text, line);
    ok = ok && position;
    row.position = position.value_or(0.0);
  }
  for (std::size_t i = 0; i < measures.size(); ++i) {
    if (const std::string_view text = cells[at(measures[i])]; !text.empty()) {
      const auto value = read_measure(measures[i], text, line);
      ok = ok && value;
      row.measures[i] = value.value_or(0.0);
    }
  }
  const std::string_view answer = cells[at(Column::answer)];
  if (!answer.empty() && fills_[at(Column::answer)].first_filled_line == 0)
    fills_[at(Column::answer)].first_filled_line = line;
  if (!ok)
    return;
  row.correct = *correct;
  QuestionRows& rows = question_rows(question);
  row.answer = answer_id(rows, answer, row.correct, line);
  rows.rows.push_back(row);
}

std::optional<bool> RowReader::read_correct(std::string_view text, std::size_t line) {
  const auto is = [&](std::string_view word) {
    return text.size() == word.size() && std::equal(text.begin(), text.end(), word.begin(),
                                                    [](char a, char b) { return (a | 0x20) == b; });
  };
  if (is("true"))
    return true;
  if (is("false"))
    return false;
  const Number number = csv::parse_number(text);
  if (number.status == NumberStatus::ok && (number.value == 0.0 || number.value == 1.0))
    return number.value == 1.0;
  issues_.add(line,
              text.empty() ? std::string("correct is empty")
                           : "correct = " + shown(text) + " is neither 0/1 nor true/false",
              "write 1 (or true) for a sample the benchmark's checker accepted, 0 (or false) "
              "otherwise");
  return std::nullopt;
}

std::optional<double> RowReader::read_measure(Column column, std::string_view text,
                                              std::size_t line) {
  const std::string name = name_of(column);
  const Number number = csv::parse_number(text);
  std::optional<std::string> problem =
      csv::number_problem(name, text::printable(text.substr(0, max_shown_bytes)), number);
  const double value = number.value;
  if (!problem && column != Column::score && value < 0.0)
    problem = name + " = " + shown(text) + " is negative";
  if (!problem && column == Column::sample && value != std::floor(value))
    problem = name + " = " + shown(text) + " is not a whole number";
  if (!problem && column == Column::sample && value > max_position)
    problem = name + " = " + shown(text) + " is too large for a position";
  if (problem) {
    issues_.add(line, *problem, expectation(column));
    return std::nullopt;
  }
  return value;
}

QuestionRows& RowReader::question_rows(std::string_view id) {
  // Logs are mostly grouped by question: the previous row's question is the likely one.
  if (last_question_ < questions_.size() && questions_[last_question_].id == id)
    return questions_[last_question_];
  const auto it = question_index_.find(id);
  if (it != question_index_.end()) {
    last_question_ = it->second;
  } else {
    last_question_ = questions_.size();
    question_index_.emplace(std::string(id), last_question_);
    questions_.emplace_back().id = std::string(id);
  }
  return questions_[last_question_];
}

std::uint32_t RowReader::answer_id(QuestionRows& question, std::string_view answer, bool correct,
                                   std::size_t line) {
  if (answer.empty())
    return 0;
  auto it = question.answers.find(answer);
  if (it == question.answers.end()) {
    const auto id = static_cast<std::uint32_t>(question.answers.size() + 1);
    it = question.answers.emplace(std::string(answer), id).first;
    question.verdicts.emplace_back();
  }
  Verdict& verdict = question.verdicts[it->second - 1];
  std::size_t& same = correct ? verdict.correct_line : verdict.wrong_line;
  const std::size_t other = correct ? verdict.wrong_line : verdict.correct_line;
  // The first row that disagrees is reported; later ones add nothing to fix.
  if (same == 0 && other != 0) {
    issues_.add(line,
                "answer " + shown(answer) + " of question " + shown(question.id) + " is " +
                    (correct ? "correct" : "wrong") + " here but " +
                    (correct ? "wrong" : "correct") + " on line " + std::to_string(other),
                "an answer is right or wrong for its question whichever sample gave it: check "
                "the correct column of both rows");
  }
  if (same == 0)
    same = line;
  return it->second;
}

void RowReader::check_fills() {
  for (const Column column : filled_columns) {
    const Fill& fill = fills_[at(column)];
    if (fill.empty_rows == 0 || fill.first_filled_line == 0)
      continue;
    const std::size_t others = fill.empty_rows - 1;
    issues_.add(fill.first_empty_line,
                name_of(column) + " has no value here" +
                    (others > 0 ? " and on " + std::to_string(others) + " more row" +
                                      (others > 1 ? "s" : "")
                                : std::string()) +
                    ", but line " + std::to_string(fill.first_filled_line) + " has one",
                "an optional column needs a value in every row, or none in any (it is then "
                "ignored): fill in the gaps or delete the column");
  }
}

// Why the log's tokens cannot price or time its samples ("" when they can, given the options).
std::string RowReader::missing_tokens() const {
  const bool in = filled(Column::input_tokens);
  const bool out = filled(Column::output_tokens);
  if (!in && !out)
    return "no input_tokens and output_tokens columns";
  if (!in)
    return "output_tokens but no input_tokens column";
  if (!out)
    return "input_tokens but no output_tokens column";
  return {};
}

Source RowReader::cost_source() {
  const bool prices = options_.c_in && options_.c_out;
  if (filled(Column::cost)) {
    if (prices) {
      notes_.push_back(issues_.where(*first_line_) +
                       "c_in and c_out are not used: the log has a cost column");
    }
    return Source::column;
  }
  const std::string tokens = missing_tokens();
  if (tokens.empty() && prices)
    return Source::tokens;
  if (options_.require_cost) {
    issues_.add(
        *first_line_,
        "the log has no cost: no cost column, and " +
            (tokens.empty() ? std::string("no prices c_in and c_out for its tokens") : tokens),
        "add a cost column (USD per sample), or input_tokens and output_tokens columns "
        "and give the prices c_in and c_out (USD per token)");
  } else if (prices) {
    notes_.push_back(issues_.where(*first_line_) + "c_in and c_out are not used: the log has " +
                     tokens);
  }
  return Source::none;
}

Source RowReader::latency_source() {
  const bool times = options_.t_in && options_.t_out;
  if (filled(Column::latency)) {
    if (times) {
      notes_.push_back(issues_.where(*first_line_) +
                       "t_in and t_out are not used: the log has a latency column");
    }
    return Source::column;
  }
  const std::string tokens = missing_tokens();
  if (tokens.empty() && times)
    return Source::tokens;
  if (options_.require_latency) {
    issues_.add(
        *first_line_,
        "the log has no latency: no latency column, and " +
            (tokens.empty() ? std::string("no times t_in and t_out for its tokens") : tokens),
        "add a latency column (seconds per sample), or input_tokens and output_tokens "
        "columns and give the times t_in and t_out (seconds per token)");
  } else if (times) {
    notes_.push_back(issues_.where(*first_line_) + "t_in and t_out are not used: the log has " +
                     tokens);
  }
  return Source::none;
}

// Sorts each question's rows by `sample` and reports positions given twice.
void RowReader::order_samples() {
  if (!filled(Column::sample) || fills_[at(Column::sample)].empty_rows != 0)
    return;
  for (QuestionRows& question : questions_) {
    std::vector<RawRow>& rows = question.rows;
    std::stable_sort(rows.begin(), rows.end(),
                     [](const RawRow& a, const RawRow& b) { return a.position < b.position; });
    for (std::size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].position != rows[i - 1].position)
        continue;
      issues_.add(rows[i].line,
                  "sample " + text::format_real(rows[i].position) + " of question " +
                      shown(question.id) + " appears again (first on line " +
                      std::to_string(rows[i - 1].line) + ")",
                  "each sample of a question has its own position: renumber or delete one");
    }
  }
}

void RowReader::note_unknown_keys() {
  if (unknown_keys_.empty())
    return;
  std::vector<std::string> ignored;
  std::size_t first = unknown_keys_.begin()->second;
  for (const auto& [key, line] : unknown_keys_) {
    ignored.push_back(shown(key) + text::did_you_mean(key, known_names()) + " (line " +
                      std::to_string(line) + ")");
    first = std::min(first, line);
  }
  notes_.push_back(issues_.where(first) + "ignoring the key" + (ignored.size() > 1 ? "s " : " ") +
                   text::join(ignored, ", ") + ", which kcube does not read (it reads " +
                   columns_read + ")");
}

SampleLog RowReader::finish() {
  if (!first_line_ && issues_.empty()) {
    issues_.add(std::max<std::size_t>(last_line_, 1), "the log is empty",
                "write a header naming the columns (question,correct and the optional ones), "
                "then one row per sample; or one JSON object per sample");
  } else if (header_line_ && rows_seen_ == 0 && halted_.empty()) {
    issues_.add(*header_line_, "the log has a header but no rows", "add one row per sample");
  }
  // Without a usable header no row was taken, and the whole-log checks would only add noise.
  const bool checkable = first_line_ && rows_ > 0;
  Source cost = Source::none;
  Source latency = Source::none;
  if (checkable) {
    check_fills();
    cost = cost_source();
    latency = latency_source();
    order_samples();
  }
  note_unknown_keys();
  if (!issues_.empty())
    issues_.raise();
  return build(cost, latency);
}

SampleLog RowReader::build(Source cost, Source latency) {
  SampleLog log;
  log.has_answers = filled(Column::answer);
  log.has_scores = filled(Column::score);
  log.has_cost = cost != Source::none;
  log.has_cost_split = cost == Source::tokens;
  log.has_latency = latency != Source::none;
  log.notes = std::move(notes_);
  const double c_in = options_.c_in.value_or(0.0), c_out = options_.c_out.value_or(0.0);
  const double t_in = options_.t_in.value_or(0.0), t_out = options_.t_out.value_or(0.0);
  log.questions.reserve(questions_.size());
  std::vector<std::uint32_t> renumbered;
  for (QuestionRows& question : questions_) {
    LoggedQuestion& out = log.questions.emplace_back();
    out.id = std::move(question.id);
    out.samples.reserve(question.rows.size());
    // Answer ids in the order of first appearance among the ordered samples.
    renumbered.assign(question.answers.size() + 1, 0);
    std::uint32_t next = 1;
    for (const RawRow& row : question.rows) {
      if (row.answer != 0 && renumbered[row.answer] == 0)
        renumbered[row.answer] = next++;
      const auto& [score, in_tokens, out_tokens, cost_usd, latency_s] = row.measures;
      LoggedSample& sample = out.samples.emplace_back();
      sample.correct = row.correct;
      sample.answer = renumbered[row.answer];
      sample.score = score;
      if (cost == Source::column) {
        sample.output_cost = cost_usd;
      } else if (cost == Source::tokens) {
        sample.input_cost = in_tokens * c_in;
        sample.output_cost = out_tokens * c_out;
      }
      if (latency == Source::column)
        sample.latency = latency_s;
      else if (latency == Source::tokens)
        sample.latency = in_tokens * t_in + out_tokens * t_out;
    }
    // The rows are done with: a large log is not held twice.
    question = QuestionRows{};
  }
  return log;
}

}  // namespace kcube::sample_log
