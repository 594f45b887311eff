// Private: the figures of a report. plan_figures() turns the run into plot data for
// tools/kcube_plot.py (figures/plot-data.json: one object per figure, with its kind, output file,
// title and the numbers it shows) and the list of figures each section shows; draw_figures()
// runs the plotting script on it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "report/document.hpp"
#include "report/report.hpp"
#include "report/tables.hpp"

namespace kcube::report {

/// A figure of the Figures section and whose it is: "" for a scenario's fronts, else the name
/// of its profile (one row of figures each).
struct GroupFigure {
  std::string owner;
  DocFigure figure;
};

/// The figures of a report, planned.
struct FigurePlan {
  std::string json;                // the plot-data file
  std::vector<std::string> files;  // relative to the report folder, in order
  std::map<std::string, std::vector<GroupFigure>> by_group;  // group title -> figures
  std::map<std::string, std::vector<DocFigure>> by_sweep;    // scenario -> sweep summaries
  /// Why a planned kind has no figure somewhere (a sample log that cannot be read or fitted):
  /// for the report's notes.
  std::vector<std::string> notes;
};

/// Plans the figures of the kinds in `plot.kinds` (replication 0): per scenario and swept path
/// a sweep figure; per group the fronts of the pool (`pools`, by group title); per profile the
/// feasible space with its (cost, accuracy) projection, accuracy against k and the accuracy each
/// step of k buys per extra USD and second; per manifest profile with several aggregators their
/// accuracy against k; per sample-log profile (plugin `samples`) the log against the model
/// kcube::fit fits to it, predicted at the scenario's k past the log (a log that cannot be read
/// or fitted: no figure, a note in `notes`).
FigurePlan plan_figures(const Index& index, const ProfileNames& names, Plugins& plugins,
                        const std::map<std::string, GroupPool>& pools,
                        const std::vector<SweepSummary>& sweeps, const PlotOptions& plot);

/// Draws the planned figures into `out_dir` (writing figures/plot-data.json); returns the note for
/// ReportFiles::figures_note ("" when all drawn) and sets `failed` when the plotting tool is
/// there but did not do its job. Throws kcube::RuntimeFailure when the plot data cannot be
/// written.
std::string draw_figures(const FigurePlan& plan, const std::filesystem::path& out_dir,
                         const PlotOptions& plot, bool& failed);

}  // namespace kcube::report
