#include "report/report.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "host/plugin_records.hpp"
#include "kcube/error.hpp"
#include "report/document.hpp"
#include "report/figures.hpp"
#include "report/recommendation.hpp"
#include "report/sections.hpp"
#include "report/tables.hpp"

namespace kcube::report {
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out)
    throw RuntimeFailure("report: cannot write '" + path.string() + "'");
  out << text;
  out.close();
  if (!out)
    throw RuntimeFailure("report: writing '" + path.string() + "' failed (disk full?)");
}

// "N figures per profile and M per scenario": the figures of the plan's first group that
// belong to a profile (of its first profile) and to the scenario, and the sweep figures.
std::string figure_counts(const FigurePlan& plan) {
  std::size_t per_scenario = 0, per_profile = 0, sweep = 0;
  if (!plan.by_group.empty()) {
    const auto& figures = plan.by_group.begin()->second;
    std::string first_owner;
    for (const GroupFigure& f : figures) {
      if (f.owner.empty()) {
        ++per_scenario;
      } else {
        if (first_owner.empty())
          first_owner = f.owner;
        per_profile += f.owner == first_owner ? 1 : 0;
      }
    }
  }
  for (const auto& [scenario, figures] : plan.by_sweep)
    sweep = std::max(sweep, figures.size());
  const auto count = [](std::size_t n, const char* what) {
    return std::to_string(n) + (n == 1 ? " figure " : " figures ") + what;
  };
  std::string text =
      count(per_profile, "per profile") + " and " + std::to_string(per_scenario) + " per scenario";
  if (sweep > 0)
    text += ", plus " + std::to_string(sweep) + " per swept scenario in the sweep summary";
  return text + ", " + std::to_string(plan.files.size()) + " in all";
}

// Whether the run resampled its questions (run.bootstrap): its picks carry a share.
bool bootstrapped(const Index& index) {
  for (const auto& [id, cell] : index.cells)
    for (const NamedSelection& s : cell->selections)
      if (s.pick_share)
        return true;
  return false;
}

// The paragraph under the title: what was run, which rule recommends, what the figures are.
std::string summary_text(const Index& index, const std::string& store_path,
                         const RecommendRule& rule, const FigurePlan* plan, bool drawn) {
  const StoredRun& run = index.run;
  const RunContext& c = run.context;
  std::string text =
      "The run evaluated " + std::to_string(index.base_profiles.size()) + " profiles in " +
      std::to_string(index.scenarios.size()) + " scenarios" +
      (index.sweeps.size() > 1 ? " at " + std::to_string(index.sweeps.size()) + " sweep points"
                               : "") +
      (index.aggregators.size() > 1
           ? " with " + std::to_string(index.aggregators.size()) + " aggregators"
           : "") +
      " and chose k with " + std::to_string(index.optimizers.size()) + " rules (" +
      (c.trials ? std::to_string(*c.trials) + " Monte Carlo trials per cell"
                : std::string(to_string(c.evaluator)) + " evaluation") +
      (c.replications > 1 ? ", " + std::to_string(c.replications) + " replications" : "") +
      (bootstrapped(index) ? ", a bootstrap over the questions" : "") + "); " +
      std::to_string(run.summary.cells_finished) + " cells finished and " +
      std::to_string(run.summary.cells_failed) + " failed.";
  if (!rule.optimizer.empty())
    text += " The Recommendation below gives, per scenario and profile, the k that " +
            rule.optimizer + " picks" +
            (rule.fallback ? " (standing in for the default rule)" : "") +
            ", and what the other rules' picks would buy and cost instead.";
  if (plan == nullptr)
    text += " Figures were turned off (--no-figures).";
  else if (!drawn)
    text += " The figures could not be drawn (see the notes).";
  else
    text += " Figures: " + figure_counts(*plan) + "; choose kinds with --figures.";
  text += " Read from " + store_path +
          "; every table is also in tables/ as CSV at full "
          "precision, and the run's provenance closes the report.";
  return text;
}

}  // namespace

ReportFiles write_report(ResultStore& store, std::optional<std::int64_t> run_id,
                         const fs::path& out_dir, const PluginRegistry& registry,
                         const PlotOptions& plot) {
  ReportOptions options;
  options.plot = plot;
  return write_report(store, run_id, out_dir, registry, options);
}

ReportFiles write_report(ResultStore& store, std::optional<std::int64_t> run_id,
                         const fs::path& out_dir, const PluginRegistry& registry,
                         const ReportOptions& options) {
  const PlotOptions& plot = options.plot;
  if (plot.format != "png" && plot.format != "svg")
    throw Error("kcube report: the figure format must be png or svg, got '" + plot.format + "'");
  const StoredRun run = store.load_run(run_id);
  const Index index(run);
  // Before anything is written: a --recommend rule the run lacks is the user's to fix.
  const RecommendRule rule = choose_recommend_rule(index, options.recommend);
  std::error_code ec;
  fs::create_directories(out_dir / "tables", ec);
  if (!ec)
    fs::create_directories(out_dir / "figures", ec);
  if (ec)
    throw Error("kcube report: cannot create the report folder '" + out_dir.string() +
                "': " + ec.message() + "; choose another --out");

  ReportFiles files;
  Plugins plugins(registry, files.warnings);
  std::vector<std::string> notes;
  bool specs_missing = false;
  for (const auto& c : run.cells)
    specs_missing = specs_missing || (c.status == CellStatus::finished && c.profile_spec.empty());
  if (specs_missing)
    notes.push_back(
        "the store does not record the plugin parameters of some cells (written by an older "
        "kcube): exact references, the rules on the cross-model pool and the budget lines are "
        "left out for them; run the manifest again to get them");
  const auto exact = exact_references(index, plugins, notes);
  const ProfileNames names(index, plugins, notes);
  const auto sweeps = sweep_summaries(index, notes);
  std::map<std::string, GroupPool> pools;
  for (const Group& g : index.groups)
    pools.emplace(g.title(), make_pool(index, g));

  // Figures first, so that the sweep summary can show its own; the tables are written whether
  // or not they could be drawn.
  FigurePlan plan;
  if (plot.enabled) {
    plan = plan_figures(index, names, plugins, pools, sweeps, plot);
    notes.insert(notes.end(), plan.notes.begin(), plan.notes.end());
    files.figures_note = draw_figures(plan, out_dir, plot, files.figures_failed);
    if (files.figures_note.empty())
      files.figures = plan.files;
    else
      notes.push_back(files.figures_note);
  }
  const bool drawn = !files.figures.empty();

  Document doc;
  doc.heading(1, "kcube report: " + run.context.experiment + " (run " +
                     std::to_string(run.summary.id) + ")");
  doc.paragraph(summary_text(index, store.path(), rule, plot.enabled ? &plan : nullptr, drawn));
  // First: the plugins it cannot re-create as the run used them (plugin_records.hpp).
  if (const auto problems = recorded_plugin_problems(run.context.plugins, registry);
      !problems.empty()) {
    doc.heading(2, "Warning: plugins of this run");
    doc.bullets(problems);
  }
  recommendation_section(doc, index, names, plugins, rule);
  sweep_section(doc, index, names, sweeps, drawn ? &plan.by_sweep : nullptr);
  picks_section(doc, index, names, exact);
  aggregators_section(doc, index, names);
  if (index.replications > 1 && run.context.evaluator != Evaluator::exact) {
    const auto entries = stability_entries(index, exact);
    stability_section(doc, index, names, entries, !exact.empty());
    sampling_section(doc, store, index, entries, plugins, notes);
  }
  cross_model_section(doc, index, names, plugins, pools);
  errors_section(doc, index, names);

  if (drawn)
    figures_section(doc, index, plan);
  // Provenance last: what a reader checks after the answer, not before it.
  context_section(doc, index);

  files.warnings.insert(files.warnings.end(), notes.begin(), notes.end());
  if (!files.warnings.empty()) {
    doc.heading(2, "Notes");
    doc.bullets(files.warnings);
  }

  doc.write_tables(out_dir / "tables");
  for (const Block& b : doc.blocks())
    if (b.kind == Block::Kind::table && !b.table.name.empty())
      ++files.tables;
  files.markdown = out_dir / "report.md";
  files.html = out_dir / "report.html";
  write_text(files.markdown, doc.markdown());
  write_text(files.html, doc.html("kcube report: " + run.context.experiment, out_dir));
  return files;
}

}  // namespace kcube::report
