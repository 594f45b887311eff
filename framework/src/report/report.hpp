// Private: `kcube report` and `kcube compare`, comparative reports of the runs in a results
// store.
//
// A report reads one run back (ResultStore::load_run), re-creates its plugins from the canonical
// specs the store keeps for every cell and selection, and writes:
//   DIR/report.md       Markdown, figures linked from figures/
//   DIR/report.html     one self-contained page (CSS inline, figures embedded), opens offline
//   DIR/tables/*.csv    every table at full precision, for checking against the store
//   DIR/figures/*.png   the figures, drawn by tools/kcube_plot.py (matplotlib), when available
//   DIR/figures/plot-data.json  what the figures show, as numbers
// Sections: a summary with the figure counts, then the Recommendation (per scenario and sweep
// point and per profile, the k one rule picks, why, how sure, and what the other rules' picks buy
// and cost instead); for a sweep, per scenario each rule's pick against the swept values (a table,
// and a figure per swept parameter); per scenario (and sweep point) the picks of every optimizer
// for every profile; stability over replications with the exact optimum where the profile has an
// exact evaluator, and nested against independent sampling when the store holds both; the
// cross-model view (pooled Pareto set, each rule on the pool, strictly cheaper alternatives);
// figures; last the run's provenance (context, plugins, manifest) and notes. Profiles are shown to
// people by display name (see ProfileNames in report/tables.hpp); the CSV tables and
// plot-data.json keep the manifest key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "host/plugin_host.hpp"
#include "store/store.hpp"

namespace kcube::report {

/// The kinds of figure a report can draw (`kcube report --figures`), in the order it shows them:
/// space (3D space with its (cost, accuracy) projection), efficiency (accuracy bought per extra
/// USD and second against k), accuracy (against k), fronts (every profile of a scenario), sweep
/// (picks against a swept parameter), aggregators (accuracy against k per aggregator), fit (a
/// sample log against the model fitted to it).
const std::vector<std::string>& figure_kinds();

/// The kinds named by `list`, comma-separated ("all": every kind; "none": no figure, an empty
/// set). Throws kcube::Error naming an unknown or empty kind and listing the valid ones.
std::set<std::string> parse_figure_kinds(std::string_view list);

/// How to draw figures.
struct PlotOptions {
  /// Draw them at all (--no-figures turns this off).
  bool enabled = true;
  /// The kinds to draw (figure_kinds() names); the others are not planned.
  std::set<std::string> kinds{figure_kinds().begin(), figure_kinds().end()};
  /// "png" or "svg".
  std::string format = "png";
  /// Resolution of PNG figures: at 90 a figure is at most 648 px wide, about the width the report
  /// shows it at.
  int dpi = 90;
  /// Parallel drawing processes; 0: the plotting script's default.
  int jobs = 0;
  /// The Python interpreter; empty: $KCUBE_PYTHON, else /usr/bin/python3, else python3 on PATH.
  std::string python;
  /// The plotting script; empty: $KCUBE_PLOT_SCRIPT, else kcube/kcube_plot.py in libkcube's
  /// folder (lib/kcube/, beside the plugins; build tree and install alike).
  std::filesystem::path script;
};

/// What write_report() produced.
struct ReportFiles {
  std::filesystem::path markdown, html;
  /// Figure files written, relative to the report folder.
  std::vector<std::string> figures;
  /// CSV tables written.
  std::size_t tables = 0;
  /// Why figures are missing, when they are (e.g. matplotlib is not installed and how to
  /// install it); empty when all were drawn or figures were turned off.
  std::string figures_note;
  /// True when the plotting tool is installed but failed (a bug to report), as opposed to
  /// missing (the report then says how to install it).
  bool figures_failed = false;
  /// Things the report could not do (also written into the report), e.g. a plugin that could
  /// not be re-created.
  std::vector<std::string> warnings;
};

/// The rule the Recommendation section uses when the report is not told one: the knee of the
/// Pareto front, where extra samples stop paying for themselves.
inline constexpr const char* kDefaultRecommendRule = "knee-point";

/// What a report shows and how.
struct ReportOptions {
  PlotOptions plot;
  /// The optimizer (its manifest key) whose picks the Recommendation section recommends
  /// (`kcube report --recommend`). Empty: kDefaultRecommendRule, or when the run has no optimizer
  /// of that name a stated fallback; a rule given here that the run lacks is a kcube::Error.
  std::optional<std::string> recommend;
};

/// Writes the report of run `run` (default: the newest) of `store` into `out_dir` (created when
/// missing). `registry` re-creates plugins for exact references and the cross-model rules; when
/// it lacks a plugin those parts are left out with a note. Throws kcube::Error for an unknown run,
/// an unusable output folder or a --recommend rule the run does not have (the message lists the
/// run's rules), kcube::RuntimeFailure when writing fails.
ReportFiles write_report(ResultStore& store, std::optional<std::int64_t> run,
                         const std::filesystem::path& out_dir, const PluginRegistry& registry,
                         const ReportOptions& options);

/// The same with the default ReportOptions but `plot`.
ReportFiles write_report(ResultStore& store, std::optional<std::int64_t> run,
                         const std::filesystem::path& out_dir, const PluginRegistry& registry,
                         const PlotOptions& plot);

/// One pick of one run, the unit `kcube compare` matches across runs.
struct PickKey {
  std::string scenario, sweep, profile;
  int replication = 0;
  std::string optimizer;
  auto operator<=>(const PickKey&) const = default;
};

/// A matched pair of picks.
struct PickDifference {
  PickKey key;
  /// Absent when the run has no such cell or selection.
  std::optional<SelectionRecord> a, b;
  /// Both present, same status and same k.
  bool same = false;
};

/// Every pick of `a` and `b`, matched by PickKey, in a's order then b's extra ones.
std::vector<PickDifference> compare_runs(const StoredRun& a, const StoredRun& b);

/// How many matched picks are the same, differ, or are in one run only.
struct PickCounts {
  std::size_t same = 0, different = 0, only_a = 0, only_b = 0;
};
PickCounts count_picks(const std::vector<PickDifference>& picks);

/// Prints the comparison as a table (differences only unless `all`) and a summary line.
void print_comparison(std::ostream& out, const StoredRun& a, const std::string& a_label,
                      const StoredRun& b, const std::string& b_label,
                      const std::vector<PickDifference>& differences, bool all);

}  // namespace kcube::report
