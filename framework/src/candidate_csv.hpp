// Private: reading candidate tables from CSV (`kcube select`).
#pragma once

#include <istream>
#include <string>
#include <string_view>

#include "kcube/candidate.hpp"

namespace kcube {

/// Reads a candidate table from CSV text. `source` names the input in messages ("cands.csv",
/// "<stdin>"). Header columns: k, cost, latency, accuracy (any order), plus optional
/// `<metric>_std`, `<metric>_se`, `<metric>_pNN` (metric: cost, latency or accuracy; NN: digits
/// after "0.", e.g. p95, p025, p975) and `trials`. Rows are returned sorted by k.
/// Throws kcube::Error naming the source and line for: a missing or unknown column, a
/// non-numeric, NaN or infinite value, k not an integer >= 1, a duplicate k, a negative cost or
/// latency, an accuracy outside [0, 1], a row with the wrong number of fields, no rows.
CandidateTable read_candidate_csv(std::istream& in, std::string_view source);

/// Reads the file at `path`; "-" reads standard input.
CandidateTable read_candidate_csv_file(const std::string& path);

}  // namespace kcube
