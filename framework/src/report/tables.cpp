#include "report/tables.hpp"

#include <algorithm>
#include <set>

#include "engine/exact.hpp"
#include "engine/selection.hpp"
#include "kcube/error.hpp"
#include "kcube/model_profile.hpp"
#include "manifest/manifest.hpp"
#include "util/text.hpp"

namespace kcube::report {

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(item);
}

Index::Index(const StoredRun& stored) : run(stored) {
  for (const CellResult& c : stored.cells)
    add_unique(aggregators, c.aggregator);
  for (const CellResult& c : stored.cells) {
    const std::string key = series_key(c);
    add_unique(sweeps, c.sweep);
    add_unique(profiles, key);
    add_unique(base_profiles, c.profile);
    add_unique(scenarios, c.scenario);
    series.emplace(key, std::make_pair(c.profile, c.aggregator));
    for (const auto& s : c.selections)
      add_unique(optimizers, s.name);
    cells[{c.replication, c.sweep, key, c.scenario}] = &c;
    replications = std::max(replications, c.replication + 1);
  }
  replications = std::max(replications, stored.context.replications);
  for (const auto& sweep : sweeps)
    for (const auto& scenario : scenarios)
      groups.push_back({scenario, sweep});
}

std::string Index::series_key(const CellResult& cell) const {
  return aggregators.size() > 1 ? cell.profile + " / " + cell.aggregator : cell.profile;
}

const std::string& Index::profile_of(const std::string& key) const {
  const auto it = series.find(key);
  return it == series.end() ? key : it->second.first;
}

const std::string& Index::aggregator_of(const std::string& key) const {
  static const std::string none;
  const auto it = series.find(key);
  return it == series.end() ? none : it->second.second;
}

const CellResult* Index::cell(int replication, const Group& g, const std::string& profile) const {
  const auto it = cells.find({replication, g.sweep, profile, g.scenario});
  return it == cells.end() ? nullptr : it->second;
}

const CellResult* Index::finished(int replication, const Group& g,
                                  const std::string& profile) const {
  const CellResult* c = cell(replication, g, profile);
  return c != nullptr && c->status == CellStatus::finished ? c : nullptr;
}

const CellResult* Index::any(const Group& g) const {
  for (int r = 0; r < replications; ++r)
    for (const auto& p : profiles)
      if (const CellResult* c = cell(r, g, p); c != nullptr && !c->scenario_spec.empty())
        return c;
  return nullptr;
}

const NamedSelection* find_selection(const CellResult& cell, const std::string& optimizer) {
  for (const auto& s : cell.selections)
    if (s.name == optimizer)
      return &s;
  return nullptr;
}

ProfileNames::ProfileNames(const Index& index, Plugins& plugins, std::vector<std::string>& notes) {
  std::map<std::string, int> uses;
  for (const auto& key : index.profiles) {
    std::string name = display_name(index, key, plugins, notes);
    if (name.empty())
      name = key;
    ++uses[name];
    shown_[key] = std::move(name);
  }
  for (auto& [key, name] : shown_)
    if (uses[name] > 1 && name != key)
      name += " (" + key + ")";
}

std::string ProfileNames::display_name(const Index& index, const std::string& key, Plugins& plugins,
                                       std::vector<std::string>& notes) {
  std::string spec;
  for (const auto& c : index.run.cells)
    if (index.series_key(c) == key && !c.profile_spec.empty()) {
      spec = c.profile_spec;
      break;
    }
  // With several aggregators a curve is a (profile, aggregator) pair: "GPT-4 CoT / esc".
  const std::string aggregator =
      index.aggregators.size() > 1 ? " / " + index.aggregator_of(key) : std::string();
  if (spec.empty())
    return aggregator.empty() ? std::string() : key;
  std::string given;
  for (const auto& p : parse_spec(spec).params)
    if (p.key == "display_name")
      given = p.value;
  if (given.empty())
    return aggregator.empty() ? std::string() : key;
  const auto* profile = plugins.get<ModelProfile>(spec);
  if (profile == nullptr)
    return given + aggregator;
  try {
    const std::string name = profile->checked().display_name();
    return (name.empty() ? given : name) + aggregator;
  } catch (const std::exception& e) {
    notes.push_back(std::string(e.what()) + "; the report shows profile '" + key +
                    "' by its display_name parameter");
    return given + aggregator;
  }
}

std::map<ExactKey, ExactCell> exact_references(const Index& index, Plugins& plugins,
                                               std::vector<std::string>& notes) {
  std::map<ExactKey, ExactCell> out;
  if (index.run.context.evaluator == Evaluator::exact)
    return out;
  std::set<std::string> unsupported;
  std::set<std::string> no_exact_form;  // aggregators without an exact form on a sample log
  for (const Group& g : index.groups) {
    for (const auto& profile_name : index.profiles) {
      const CellResult* cell = nullptr;
      for (int r = 0; r < index.replications && cell == nullptr; ++r)
        cell = index.finished(r, g, profile_name);
      if (cell == nullptr || cell->profile_spec.empty() || cell->scenario_spec.empty())
        continue;
      const auto* profile = plugins.get<ModelProfile>(cell->profile_spec);
      const auto* scenario = plugins.get<Scenario>(cell->scenario_spec);
      const auto* aggregator = plugins.get<Aggregator>(
          cell->aggregator_spec.empty() ? std::string(kDefaultAggregator) : cell->aggregator_spec);
      if (profile == nullptr || scenario == nullptr || aggregator == nullptr)
        continue;
      try {
        const bool logged = !profile->checked().question_log().questions.empty();
        if (!profile->checked().has_exact() && !logged)
          continue;
        if (logged && !aggregator->checked().has_exact()) {
          no_exact_form.insert(cell->aggregator);
          continue;
        }
        ExactCell exact;
        std::vector<std::string> evaluation_notes;  // the cell's own run reported them
        exact.table = exact_candidates(profile->checked(), aggregator->checked(),
                                       scenario->checked().deployment(), evaluation_notes);
        const AssessedTable assessed = assess(*scenario, exact.table);
        for (const auto& s : cell->selections) {
          if (const auto* optimizer = plugins.get<Optimizer>(s.record.canonical_spec))
            exact.picks[s.name] = run_selection(*optimizer, exact.table, assessed);
        }
        out.emplace(ExactKey{g.sweep, profile_name, g.scenario}, std::move(exact));
      } catch (const std::exception& e) {
        // e.g. max-wave latency, which has no closed form.
        if (unsupported.insert(e.what()).second)
          notes.push_back(std::string("no exact reference for some cells: ") + e.what());
      }
    }
  }
  if (!no_exact_form.empty()) {
    notes.push_back(
        "no exact reference for the aggregators " +
        text::join(std::vector<std::string>(no_exact_form.begin(), no_exact_form.end()), ", ") +
        " on sample logs: their answer depends on the order of the samples, so only "
        "Monte Carlo estimates them");
  }
  return out;
}

namespace {

// The picks of one rule over the replications of one (group, profile).
std::vector<std::optional<int>> picks_over_replications(const Index& index, const Group& g,
                                                        const std::string& profile,
                                                        const std::string& optimizer) {
  std::vector<std::optional<int>> picks;
  for (int r = 0; r < index.replications; ++r) {
    const CellResult* cell = index.cell(r, g, profile);
    const NamedSelection* s = cell != nullptr ? find_selection(*cell, optimizer) : nullptr;
    picks.push_back(s != nullptr ? s->record.k : std::nullopt);
  }
  return picks;
}

ExactReference reference_of(const ExactCell& exact, const std::string& optimizer, bool& found) {
  ExactReference ref;
  ref.table = &exact.table;
  const auto it = exact.picks.find(optimizer);
  found = it != exact.picks.end() && it->second.status != SelectionStatus::error;
  if (found) {
    ref.status = it->second.status;
    ref.k = it->second.k;
  }
  return ref;
}

}  // namespace

std::vector<StabilityEntry> stability_entries(const Index& index,
                                              const std::map<ExactKey, ExactCell>& exact) {
  std::vector<StabilityEntry> out;
  for (const Group& g : index.groups) {
    for (const auto& profile : index.profiles) {
      const auto exact_it = exact.find({g.sweep, profile, g.scenario});
      for (const auto& optimizer : index.optimizers) {
        const auto picks = picks_over_replications(index, g, profile, optimizer);
        bool found = false;
        ExactReference ref;
        if (exact_it != exact.end())
          ref = reference_of(exact_it->second, optimizer, found);
        out.push_back({g, profile, optimizer, stability(picks, found ? &ref : nullptr),
                       count_distinct(picks)});
      }
    }
  }
  return out;
}

GroupPool make_pool(const Index& index, const Group& g) {
  GroupPool gp;
  for (const auto& profile : index.profiles) {
    const CellResult* cell = index.finished(0, g, profile);
    if (cell == nullptr || cell->feasible.size() != cell->candidates.rows.size() ||
        cell->candidates.rows.empty())
      continue;
    gp.inputs.push_back({profile, &cell->candidates, &cell->feasible});
  }
  if (gp.inputs.empty())
    return gp;
  gp.pool = pool(gp.inputs);
  gp.valid = true;
  return gp;
}

std::vector<SweepSummary> sweep_summaries(const Index& index, std::vector<std::string>& notes) {
  const bool swept = std::any_of(index.sweeps.begin(), index.sweeps.end(),
                                 [](const std::string& label) { return !label.empty(); });
  if (!swept)
    return {};
  // The swept paths and each point's values as the exports read them: re-expanded from the
  // run's manifest text, not parsed back from the labels.
  std::vector<SweepPoint> expanded;
  try {
    expanded = stored_sweep_points(index.run.context.manifest_text);
  } catch (const Error& e) {
    notes.push_back("the run's manifest text could not be read (" + std::string(e.what()) +
                    "), so the report has no sweep summary");
    return {};
  }
  std::vector<std::string> paths;
  for (const SweepAssignment& a : expanded.front().assignments)
    paths.push_back(a.path);
  std::map<std::string, std::map<std::string, std::string>> assigned;  // label -> path -> value
  for (const SweepPoint& point : expanded)
    for (const SweepAssignment& a : point.assignments)
      assigned[point.label][a.path] = a.value;
  std::vector<SweepSummary> out;
  if (paths.empty())
    return out;
  for (const auto& scenario : index.scenarios) {
    SweepSummary summary;
    summary.scenario = scenario;
    for (const auto& path : paths)
      if (path.rfind("scenarios.", 0) != 0 || path.rfind("scenarios." + scenario + ".", 0) == 0)
        summary.axes.push_back(path);
    if (summary.axes.empty())
      continue;
    std::set<std::vector<std::string>> seen;
    for (const auto& label : index.sweeps) {
      std::vector<std::string> values;
      for (const auto& axis : summary.axes) {
        const auto& at = assigned[label];
        const auto it = at.find(axis);
        values.push_back(it == at.end() ? "" : it->second);
      }
      if (seen.insert(values).second)
        summary.points.push_back({label, std::move(values)});
    }
    out.push_back(std::move(summary));
  }
  return out;
}

const SelectionRecord* sweep_pick(const Index& index, const std::string& scenario,
                                  const std::string& sweep, const std::string& profile,
                                  const std::string& optimizer) {
  const CellResult* cell = index.cell(0, Group{scenario, sweep}, profile);
  const NamedSelection* s = cell != nullptr ? find_selection(*cell, optimizer) : nullptr;
  return s != nullptr ? &s->record : nullptr;
}

}  // namespace kcube::report
