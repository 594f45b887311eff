// Private: what the report's sections and figures are drawn from, as data (no Markdown): the run
// indexed by cell, the plugins re-created from the specs the store keeps, the names shown for
// profiles, the exact references, the stability of every pick, the cross-model pools and the
// sweep as each scenario sees it. report/sections.cpp renders these; report/figures.cpp plots them.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "report/analysis.hpp"
#include "report/document.hpp"
#include "store/store.hpp"

namespace kcube::report {

/// Appends `item` to `list` unless it is there already (first-seen order).
void add_unique(std::vector<std::string>& list, const std::string& item);

/// A cell of the run: replication, sweep point, profile, scenario.
struct CellId {
  int replication = 0;
  std::string sweep, profile, scenario;
  auto operator<=>(const CellId&) const = default;
};

/// A scenario at one sweep point: the unit every table and figure is drawn for.
struct Group {
  std::string scenario, sweep;
  std::string title() const { return sweep.empty() ? scenario : scenario + " at " + sweep; }
  std::string file_stem() const { return slug(sweep.empty() ? scenario : scenario + "--" + sweep); }
};

/// The run, indexed: its sweep points, profiles, scenarios and optimizers in first-seen order,
/// its groups (every sweep point x scenario) and its cells by CellId.
///
/// With one aggregator (every run before aggregators existed), a profile is what the report
/// draws a curve, a table row and a pick for. With several, each (profile, aggregator) pair is:
/// `profiles` then holds series keys "PROFILE / AGGREGATOR" (series_key()), CellId::profile is
/// that key, and profile_of()/aggregator_of() give its parts, so that every section reports each
/// pair as it reports a profile, and the aggregator section compares the pairs of one profile.
struct Index {
  explicit Index(const StoredRun& stored);

  /// The key the report uses for `cell`'s curve: its profile, or "profile / aggregator" when the
  /// run has several aggregators.
  std::string series_key(const CellResult& cell) const;
  /// The manifest profile and aggregator of a key of `profiles`.
  const std::string& profile_of(const std::string& key) const;
  const std::string& aggregator_of(const std::string& key) const;

  const CellResult* cell(int replication, const Group& g, const std::string& profile) const;
  /// The cell when it finished, else nullptr.
  const CellResult* finished(int replication, const Group& g, const std::string& profile) const;
  /// Any cell of the group (for its scenario spec), replication 0 first.
  const CellResult* any(const Group& g) const;

  const StoredRun& run;
  std::vector<std::string> sweeps, profiles, scenarios, optimizers;
  /// The manifest's profiles and aggregators in first-seen order (`profiles` above are series
  /// keys when there are several aggregators).
  std::vector<std::string> base_profiles, aggregators;
  /// Series key -> (manifest profile, aggregator).
  std::map<std::string, std::pair<std::string, std::string>> series;
  std::vector<Group> groups;
  std::map<CellId, const CellResult*> cells;
  int replications = 1;
};

/// The selection of `optimizer` in `cell`, or nullptr.
const NamedSelection* find_selection(const CellResult& cell, const std::string& optimizer);

/// Plugins re-created from the canonical specs the store keeps, each once. A plugin that cannot
/// be re-created is nullptr, with a warning.
class Plugins {
 public:
  Plugins(const PluginRegistry& registry, std::vector<std::string>& warnings)
      : registry_(registry), warnings_(warnings) {}

  template <class T>
  const PluginInstance<T>* get(const std::string& spec) {
    if (spec.empty())
      return nullptr;
    auto& cache = cache_for<T>();
    if (auto it = cache.find(spec); it != cache.end())
      return it->second.get();
    std::unique_ptr<PluginInstance<T>> made;
    try {
      made = std::make_unique<PluginInstance<T>>(registry_.create<T>(parse_spec(spec)));
    } catch (const std::exception& e) {
      warnings_.push_back("cannot re-create plugin '" + spec + "' (" + e.what() +
                          "); the parts of the report that need it are left out");
    }
    return cache.emplace(spec, std::move(made)).first->second.get();
  }

 private:
  template <class T>
  std::map<std::string, std::unique_ptr<PluginInstance<T>>>& cache_for() {
    if constexpr (std::is_same_v<T, ModelProfile>)
      return profiles_;
    else if constexpr (std::is_same_v<T, Scenario>)
      return scenarios_;
    else if constexpr (std::is_same_v<T, Aggregator>)
      return aggregators_;
    else
      return optimizers_;
  }

  const PluginRegistry& registry_;
  std::vector<std::string>& warnings_;
  std::map<std::string, std::unique_ptr<PluginInstance<ModelProfile>>> profiles_;
  std::map<std::string, std::unique_ptr<PluginInstance<Scenario>>> scenarios_;
  std::map<std::string, std::unique_ptr<PluginInstance<Optimizer>>> optimizers_;
  std::map<std::string, std::unique_ptr<PluginInstance<Aggregator>>> aggregators_;
};

/// What a person reads for each profile: its display name where the manifest gives one (the
/// profile's `display_name` parameter; the text is the re-created profile's display_name(), the
/// SDK's "name shown in reports", or the parameter itself when the plugin cannot be re-created),
/// else the manifest key. A name shared by several profiles is followed by the key. Tables keep
/// the key in their CSV copies and plot-data.json keeps it beside the name: machine-readable
/// outputs match the store and the manifest.
class ProfileNames {
 public:
  ProfileNames(const Index& index, Plugins& plugins, std::vector<std::string>& notes);

  /// The name of profile `key` for people; `key` itself when the run does not know it.
  std::string operator()(const std::string& key) const {
    const auto it = shown_.find(key);
    return it == shown_.end() ? key : it->second;
  }

 private:
  static std::string display_name(const Index& index, const std::string& key, Plugins& plugins,
                                  std::vector<std::string>& notes);

  std::map<std::string, std::string> shown_;
};

/// The exact (noise-free) table of one profile in one group and every rule's pick on it.
struct ExactCell {
  CandidateTable table;
  std::map<std::string, SelectionRecord> picks;  // by optimizer name
};

using ExactKey = std::tuple<std::string, std::string, std::string>;  // sweep, profile, scenario

/// Exact references for every (group, profile) whose profile has an exact evaluator, or is a
/// sample log, through the cell's aggregator (exact_candidates() with it; an aggregator without
/// an exact form gets a note). Only for Monte Carlo runs: an exact run is its own reference.
std::map<ExactKey, ExactCell> exact_references(const Index& index, Plugins& plugins,
                                               std::vector<std::string>& notes);

/// Stability of every (group, profile, optimizer) of a run.
struct StabilityEntry {
  Group group;
  std::string profile, optimizer;
  Stability stability;
  int distinct = 0;
};

std::vector<StabilityEntry> stability_entries(const Index& index,
                                              const std::map<ExactKey, ExactCell>& exact);

/// The cross-model pool of one group (replication 0).
struct GroupPool {
  std::vector<PoolInput> inputs;
  Pool pool;
  bool valid = false;
};

GroupPool make_pool(const Index& index, const Group& g);

/// The sweep as one scenario sees it: the swept paths that can change it (all but other
/// scenarios' parameters) and one sweep point per combination of their values, in run order.
struct SweepSummary {
  std::string scenario;
  std::vector<std::string> axes;
  struct Point {
    std::string sweep;                // the canonical label of a sweep point with these values
    std::vector<std::string> values;  // one per axis
  };
  std::vector<Point> points;
};

/// The sweep summaries of a run, from its manifest text (stored_sweep_points()); none without a
/// sweep, or, with a note, when that text cannot be read.
std::vector<SweepSummary> sweep_summaries(const Index& index, std::vector<std::string>& notes);

/// The pick of `optimizer` for `profile` at one sweep point of a scenario (replication 0).
const SelectionRecord* sweep_pick(const Index& index, const std::string& scenario,
                                  const std::string& sweep, const std::string& profile,
                                  const std::string& optimizer);

}  // namespace kcube::report
