// kcube public SDK: reading a sample log, n logged samples per question of one model on one
// benchmark (the `samples` model profile and `kcube fit` are built on it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kcube {

/// One logged sample: one row of the log.
struct LoggedSample {
  /// Whether the benchmark's checker judged the sample right.
  bool correct = false;
  /// The sample's final answer as an id within its question: 0 = no answer (empty or absent);
  /// otherwise 1..m, numbered in the order the answers first appear among the question's samples
  /// (in `LoggedQuestion::samples` order). Equal ids = equal answer strings.
  std::uint32_t answer = 0;
  /// A verifier's or reward model's score, higher is better; meaningful only when
  /// SampleLog::has_scores.
  double score = 0.0;
  /// The sample's cost in USD: its input (prompt) part and its output (completion) part. When the
  /// split is unknown (SampleLog::has_cost_split false), the whole cost is in output_cost. Both 0
  /// when SampleLog::has_cost is false.
  double input_cost = 0.0;
  double output_cost = 0.0;
  /// The sample's latency in seconds; 0 when SampleLog::has_latency is false.
  double latency = 0.0;

  friend bool operator==(const LoggedSample&, const LoggedSample&) = default;
};

/// One question of the log and its samples.
struct LoggedQuestion {
  /// The `question` value as written in the log.
  std::string id;
  /// Ordered by the `sample` column when the log has one, else in the log's row order.
  std::vector<LoggedSample> samples;

  friend bool operator==(const LoggedQuestion&, const LoggedQuestion&) = default;
};

/// A sample log as read by read_sample_log().
struct SampleLog {
  /// In the order each question first appears in the log.
  std::vector<LoggedQuestion> questions;
  /// Whether the log has answers (an `answer` column not empty in every row).
  bool has_answers = false;
  /// Whether the log has scores (a `score` column).
  bool has_scores = false;
  /// Whether LoggedSample's costs are known (a `cost` column, or tokens and prices).
  bool has_cost = false;
  /// Whether the cost's input and output parts are known (from tokens and prices; a `cost` column
  /// gives the total only).
  bool has_cost_split = false;
  /// Whether LoggedSample::latency is known (a `latency` column, or tokens and times per token).
  bool has_latency = false;
  /// What the caller should tell the user although the log is valid, each as
  /// "<file>:<line>: ..." (ignored columns, prices the log did not need).
  std::vector<std::string> notes;

  friend bool operator==(const SampleLog&, const SampleLog&) = default;
};

/// How read_sample_log() reads a log.
struct SampleLogOptions {
  enum class Format {
    /// By the file's extension (.csv, .tsv: csv; .jsonl, .ndjson: jsonl), else by its first
    /// non-blank character ('{': jsonl).
    automatic,
    /// CSV with a header line (or TSV: tabs and no comma in the header).
    csv,
    /// JSON Lines: one JSON object per line, its keys the column names.
    jsonl,
  };
  Format format = Format::automatic;
  /// Prices in USD per token, for a log with `input_tokens` and `output_tokens` and no `cost`:
  /// input_cost = input_tokens * c_in, output_cost = output_tokens * c_out. Both or neither.
  std::optional<double> c_in, c_out;
  /// Times in seconds per token, for a log with `input_tokens` and `output_tokens` and no
  /// `latency`: latency = input_tokens * t_in + output_tokens * t_out. Both or neither.
  std::optional<double> t_in, t_out;
  /// Whether a log without cost (no `cost` column, and no tokens or no prices) is an error. When
  /// false such a log is read with SampleLog::has_cost false and costs 0.
  bool require_cost = true;
  /// Whether a log without latency (no `latency` column, and no tokens or no times) is an error.
  /// When false such a log is read with SampleLog::has_latency false and latencies 0.
  bool require_latency = true;
};

/// Reads the sample log at `file`.
///
/// Columns (CSV header names, or JSON Lines keys), in any order:
/// - `question` (required): the question's id, any non-empty text (a JSON number is read as its
///   text).
/// - `correct` (required): 0/1 or true/false (any case; JSON booleans too).
/// - `sample`: the sample's position within its question, a whole number >= 0, each at most once
///   per question; the samples are ordered by it.
/// - `answer`: the final answer; empty (JSON: absent or null) = the sample gave no answer. Answers
///   are compared as text without leading and trailing spaces and tabs. One answer of a question
///   cannot be both correct and wrong (a sample marked correct with no answer is allowed).
/// - `score`: a verifier's score, any finite number.
/// - `input_tokens`, `output_tokens`: tokens of the prompt and the completion, numbers >= 0.
/// - `cost`: the sample's cost in USD, >= 0; when present, c_in/c_out are not used (a note says
///   so if they were given).
/// - `latency`: the sample's latency in seconds, >= 0; when present, t_in/t_out are not used.
/// Other columns are ignored, each named in a note. An optional column empty in every row (JSON:
/// absent or null in every line) counts as absent; one empty in some rows only is an error.
///
/// CSV: RFC 4180 with a header line; quoted fields may hold commas, doubled quotes and line breaks
/// (CRLF read as LF); CRLF line ends and a UTF-8 BOM are accepted; blank lines are skipped; fields
/// are trimmed of spaces (and tabs in CSV). JSON Lines: one object per line, blank lines skipped.
///
/// Limits against hostile input: a file of at most 2 GiB, a line (a CSV row with its quoted line
/// breaks, or a JSON line) of at most 1 MiB, at most 4096 fields per row and 10,000,000 rows.
///
/// Throws kcube::Error listing every problem of the log (at most 20, then a count), one per line
/// as "<file>:<line>: <what is wrong>; <how to fix>" with 1-based physical line numbers (a row that
/// spans lines is at its first): an empty log, a header without `question` or `correct` (with "did
/// you mean"), a duplicate column, a header and no rows, a row with the wrong number of fields, an
/// unterminated quote, text that is not UTF-8, a line that is not a JSON object, a value that is
/// not a number, not finite, negative or not whole where it must be, an empty required value, a
/// duplicate `sample` within a question (with both lines), an answer both correct and wrong (with
/// both lines), an optional column empty in some rows only, a missing cost or latency (see
/// SampleLogOptions), a limit crossed. Throws kcube::Error "cannot open '<file>': <reason>" when
/// the file cannot be opened, and for options that are not finite numbers >= 0 or come without
/// their partner (c_in without c_out). Throws kcube::RuntimeFailure when reading fails midway.
SampleLog read_sample_log(const std::filesystem::path& file, const SampleLogOptions& options = {});

}  // namespace kcube
