// Model-profile plugin `curve`: a table of measured or published per-k expectations (the columns
// `kcube select` reads) as a profile. Its outcomes are already expectations per k, so the exact
// evaluator takes its rows as the candidate table and Monte Carlo is refused. See README.md.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kcube/kcube.hpp"

namespace {

using kcube::ParamSpec;
using kcube::ParamType;

/// "a, b, c" of the k in `ks`.
template <class Range>
std::string list_of(const Range& ks) {
  std::string out;
  for (const int k : ks)
    out += (out.empty() ? "" : ", ") + std::to_string(k);
  return out;
}

/// The grid in words: all its k when there are at most five, else "4, 8, ..., 128".
std::string grid_text(std::span<const int> grid) {
  if (grid.size() <= 5)
    return list_of(grid);
  return std::to_string(grid[0]) + ", " + std::to_string(grid[1]) + ", ..., " +
         std::to_string(grid.back());
}

/// The k of `table`.
std::vector<int> ks_of(const kcube::CandidateTable& table) {
  std::vector<int> ks;
  for (const kcube::Candidate& row : table.rows)
    ks.push_back(row.k);
  return ks;
}

/// A measured candidate table as a profile (see README.md).
class CurveProfile final : public kcube::ModelProfile {
 public:
  /// Reads the table named by the validated parameters; read_candidate_csv_file's kcube::Error
  /// (every problem of the file with its file:line) reaches the user unchanged.
  explicit CurveProfile(const kcube::Params& params)
      : file_(kcube::get_string(params, "path")),
        linear_(kcube::get_string(params, "interpolate") == "linear") {
    table_ = kcube::read_candidate_csv_file(file_.string(), &notes_);
    display_name_ = kcube::has_param(params, "display_name")
                        ? kcube::get_string(params, "display_name")
                        : std::string();
    if (display_name_.empty())
      display_name_ = file_.stem().string();
  }

  std::string display_name() const override { return display_name_; }

  /// Refused: a curve's rows are expectations, with no per-inference outcomes to draw. The engine
  /// refuses the profile before any draw (require_drawable); this is the message otherwise.
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome> path) const override {
    if (path.empty())
      return;
    throw kcube::Error(display_name_ +
                       ": a measured curve has no samples to draw; use the exact evaluator");
  }

  bool has_curve() const override { return true; }

  /// `none`: the table's rows whose k is on the grid. `linear`: every grid k in [smallest,
  /// largest table k], each value v(k) = v_i + (ln k - ln k_i) / (ln k_{i+1} - ln k_i)
  /// (v_{i+1} - v_i) between the neighbouring table rows i, i + 1 (exactly v_i at k = k_i), for
  /// cost, latency, accuracy and every spread column; `trials` takes the smaller of the two.
  kcube::CandidateTable expected_curve(std::span<const int> grid,
                                       std::vector<std::string>& notes) const override {
    notes.insert(notes.end(), notes_.begin(), notes_.end());
    return linear_ ? interpolated(grid, notes) : served(grid, notes);
  }

 private:
  /// Appends row i of the table (all its columns) to `out`.
  void copy_row(std::size_t i, kcube::CandidateTable& out) const {
    out.rows.push_back(table_.rows[i]);
    for (const auto& [name, values] : table_.columns)
      out.columns[name].push_back(values[i]);
  }

  /// interpolate: none.
  kcube::CandidateTable served(std::span<const int> grid, std::vector<std::string>& notes) const {
    kcube::CandidateTable out;
    std::vector<int> off_grid;
    for (std::size_t i = 0; i < table_.rows.size(); ++i) {
      if (std::binary_search(grid.begin(), grid.end(), table_.rows[i].k))
        copy_row(i, out);
      else
        off_grid.push_back(table_.rows[i].k);
    }
    if (out.rows.empty()) {
      throw kcube::Error(file_.string() + ": none of the table's k (" + list_of(ks_of(table_)) +
                         ") is on the deployment's k grid (" + grid_text(grid) +
                         ": the multiples of k_step up to k_max); choose k_step and k_max so "
                         "that the grid holds some of them, or set interpolate: linear");
    }
    const std::size_t missing = grid.size() - out.rows.size();
    if (missing > 0 || !off_grid.empty()) {
      std::string note = file_.string() + ": serves k = " + list_of(ks_of(out)) +
                         " of the deployment's k grid (" + grid_text(grid) + ")";
      if (missing > 0) {
        note += "; the other " + std::to_string(missing) + " grid k are not in the table" +
                " (interpolate: linear serves those between its smallest and largest k)";
      }
      if (!off_grid.empty())
        note += "; the table's k = " + list_of(off_grid) + " are not on the grid and left out";
      notes.push_back(std::move(note));
    }
    return out;
  }

  /// interpolate: linear (in log k).
  kcube::CandidateTable interpolated(std::span<const int> grid,
                                     std::vector<std::string>& notes) const {
    const int lo = table_.rows.front().k;
    const int hi = table_.rows.back().k;
    kcube::CandidateTable out;
    std::vector<int> below, above;
    std::size_t i = 0;  // table row with k_i <= k < k_{i+1}, for increasing k
    for (const int k : grid) {
      if (k < lo) {
        below.push_back(k);
        continue;
      }
      if (k > hi) {
        above.push_back(k);
        continue;
      }
      while (i + 1 < table_.rows.size() && table_.rows[i + 1].k <= k)
        ++i;
      if (table_.rows[i].k == k) {
        copy_row(i, out);
        continue;
      }
      const kcube::Candidate& a = table_.rows[i];
      const kcube::Candidate& b = table_.rows[i + 1];
      const double t = (std::log(static_cast<double>(k)) - std::log(static_cast<double>(a.k))) /
                       (std::log(static_cast<double>(b.k)) - std::log(static_cast<double>(a.k)));
      const auto mix = [t](double u, double v) { return u + t * (v - u); };
      out.rows.push_back({k, mix(a.cost, b.cost), mix(a.latency, b.latency),
                          std::clamp(mix(a.accuracy, b.accuracy), 0.0, 1.0)});
      for (const auto& [name, values] : table_.columns) {
        out.columns[name].push_back(name == "trials" ? std::min(values[i], values[i + 1])
                                                     : mix(values[i], values[i + 1]));
      }
    }
    if (out.rows.empty()) {
      throw kcube::Error(file_.string() + ": no k of the deployment's k grid (" + grid_text(grid) +
                         ": the multiples of k_step up to k_max) lies within the table's k " +
                         std::to_string(lo) + " to " + std::to_string(hi) +
                         " (it has k = " + list_of(ks_of(table_)) +
                         "); choose k_step and k_max so that some grid k fall in that range");
    }
    if (!below.empty() || !above.empty()) {
      std::string note = file_.string() + ": interpolates k = " + std::to_string(lo) + " to " +
                         std::to_string(hi) + " only (the table's range); left out: grid k = ";
      std::string left;
      for (const auto* side : {&below, &above}) {
        if (!side->empty()) {
          left += (left.empty() ? "" : " and ") + std::to_string(side->front()) +
                  (side->size() == 1 ? "" : " to " + std::to_string(side->back()));
        }
      }
      notes.push_back(note + left + " (" + std::to_string(below.size() + above.size()) +
                      " k; kcube does not extrapolate a measured curve)");
    }
    return out;
  }

  std::filesystem::path file_;
  bool linear_;
  std::string display_name_;
  kcube::CandidateTable table_;
  std::vector<std::string> notes_;
};

constexpr ParamSpec kParams[] = {
    {.key = "path",
     .type = ParamType::path,
     .required = true,
     .doc = "the per-k table: CSV or TSV with the columns kcube select reads (k, cost, latency, "
            "accuracy; optional spread columns), relative to the manifest's folder, or to the "
            "working folder on the command line"},
    {.key = "interpolate",
     .type = ParamType::enumeration,
     .default_value = "none",
     .choices = "none|linear",
     .doc = "none: serve the table's own k that lie on the grid; linear: every grid k between "
            "the table's smallest and largest k, linear in log k"},
    {.key = "display_name",
     .type = ParamType::string,
     .doc = "name shown in reports (default: the table's file name without extension)"},
};

}  // namespace

extern const kcube::PluginDescriptor kcube_curve_descriptor;
const kcube::PluginDescriptor kcube_curve_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::model_profile,
    .name = "curve",
    .version = "1.0.0",
    .summary =
        "a measured per-k table (cost, latency, accuracy per request) as a profile, for the "
        "exact evaluator",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<CurveProfile>,
};
KCUBE_EXPORT_PLUGIN(kcube_curve_descriptor)
