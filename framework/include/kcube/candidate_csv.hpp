// kcube public SDK: reading and writing candidate tables as CSV (`kcube select`, `kcube
// simulate`, the `curve` model profile).
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/candidate.hpp"

namespace kcube {

/// Reads a candidate table from CSV text. `source` names the input in messages ("cands.csv",
/// "<stdin>").
///
/// Layout: the first line that is neither blank nor a comment (first non-blank character '#') is
/// the header; blank and comment lines are skipped anywhere. Fields are separated by commas, or
/// by tabs when the header has tabs and no comma (TSV). CRLF line ends and a UTF-8 BOM are
/// accepted; fields are trimmed of spaces (and of tabs in a CSV file); RFC 4180 quotes ("" for a
/// quote) are accepted within one line.
///
/// Columns, in any order: k, cost (USD per request), latency (seconds per request) and accuracy
/// (in [0, 1]) are required. Optional: `<metric>_std`, `<metric>_se` (>= 0), `<metric>_pNN`
/// (metric: cost, latency or accuracy; NN: two or three digits read as "0.NN", so p95 is the
/// 0.95 quantile and p025 the 0.025 one; same range as the metric; quantiles of one metric may
/// not decrease with their level), `<metric>_lo` and `<metric>_hi` (the 95 % interval of the
/// mean from run.bootstrap or `kcube simulate --bootstrap`; same range as the metric) and
/// `trials` (a whole number >= 0). An optional column empty in
/// every row is dropped (that is how `kcube simulate` writes an exact evaluation); one empty in
/// some rows only is an error. Other columns (model, notes) are ignored and named in `notes`
/// ("<source>:<line>: ignoring the column 'model', ..."), unless they look meant for kcube: a
/// name that starts with a metric and `_` (cost_usd, latency_ms: "did you mean 'cost'?" and the
/// unit kcube reads) or a near miss of a required column the header lacks is an error.
///
/// Rows are returned sorted by k (a whole number >= 1, each at most once), optional columns
/// permuted alike. Values are finite numbers.
///
/// Throws kcube::Error listing every problem of the input (at most 20, then a count), one per
/// line as "<source>:<line>: <what is wrong>; <how to fix>" with 1-based physical line numbers:
/// a missing, misnamed (with "did you mean") or duplicate column, a non-numeric, NaN, infinite or
/// out-of-range value, an empty required value, a duplicate k, a row with the wrong number of
/// fields, a line of more than 4096 fields, an unterminated quote, no header or no rows. Throws
/// kcube::RuntimeFailure when the stream fails while being read.
CandidateTable read_candidate_csv(std::istream& in, std::string_view source,
                                  std::vector<std::string>* notes = nullptr);

/// Reads the file at `path` as read_candidate_csv does (with its `notes`), naming it `path` in
/// messages; "-" reads standard input, named "<stdin>". Throws kcube::Error "cannot open 'PATH':
/// <reason>" when the file cannot be opened (or is a directory).
CandidateTable read_candidate_csv_file(const std::string& path,
                                       std::vector<std::string>* notes = nullptr);

/// Writes `table` as CSV: k,cost,latency,accuracy, then `columns` in the given order. A column
/// the table lacks is written empty in every row (exact evaluation has no spread). Numbers are
/// in their shortest round-trip form, so reading the file back gives the same doubles.
void write_candidate_csv(std::ostream& out, const CandidateTable& table,
                         const std::vector<std::string>& columns);

}  // namespace kcube
