#include "report/report.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include "engine/exact.hpp"
#include "engine/selection.hpp"
#include "host/plugin_call.hpp"
#include "host/plugin_records.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "kcube/geometry.hpp"
#include "kcube/model_profile.hpp"
#include "report/analysis.hpp"
#include "report/document.hpp"
#include "run/builds.hpp"
#include "util/text.hpp"

namespace kcube::report {
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// Formatting

std::string fmt(double value, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}
std::string fmt_accuracy(double a) {
  return fmt(a, "%.5f");
}
std::string fmt_cost(double c) {
  return fmt(c, "%.4g");
}
std::string fmt_latency(double t) {
  return fmt(t, "%.4g");
}
std::string fmt_opt(const std::optional<double>& v, std::string (*f)(double)) {
  return v ? f(*v) : "";
}
std::string full(const std::optional<double>& v) {
  return v ? text::format_real(*v) : "";
}
std::string full_k(const std::optional<int>& k) {
  return k ? std::to_string(*k) : "";
}
std::string percent(double share) {
  return fmt(100.0 * share, "%.0f %%");
}

// Seconds between two ISO-8601 UTC times ("2026-11-28T14:39:43Z"); nullopt when unparsable.
std::optional<double> seconds_between(const std::string& from, const std::string& to) {
  auto parse = [](const std::string& s) -> std::optional<std::time_t> {
    std::tm tm{};
    if (s.size() < 20 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
                                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
      return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
  };
  const auto a = parse(from), b = parse(to);
  if (!a || !b)
    return std::nullopt;
  return std::difftime(*b, *a);
}

std::string status_text(const SelectionRecord& r) {
  return std::string(to_string(r.status));
}

// The k a selection picked, or its status when it picked none.
std::string pick_text(const SelectionRecord& r) {
  return r.k ? std::to_string(*r.k) : status_text(r);
}

// ---------------------------------------------------------------------------------------------
// The run, indexed

struct CellId {
  int replication = 0;
  std::string sweep, profile, scenario;
  auto operator<=>(const CellId&) const = default;
};

// A scenario at one sweep point: the unit every table and figure is drawn for.
struct Group {
  std::string scenario, sweep;
  std::string title() const { return sweep.empty() ? scenario : scenario + " at " + sweep; }
  std::string file_stem() const { return slug(sweep.empty() ? scenario : scenario + "--" + sweep); }
};

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end())
    list.push_back(item);
}

struct Index {
  explicit Index(const StoredRun& stored) : run(stored) {
    for (const CellResult& c : stored.cells) {
      add_unique(sweeps, c.sweep);
      add_unique(profiles, c.profile);
      add_unique(scenarios, c.scenario);
      for (const auto& s : c.selections)
        add_unique(optimizers, s.name);
      cells[{c.replication, c.sweep, c.profile, c.scenario}] = &c;
      replications = std::max(replications, c.replication + 1);
    }
    replications = std::max(replications, stored.context.replications);
    for (const auto& sweep : sweeps)
      for (const auto& scenario : scenarios)
        groups.push_back({scenario, sweep});
  }

  const CellResult* cell(int replication, const Group& g, const std::string& profile) const {
    const auto it = cells.find({replication, g.sweep, profile, g.scenario});
    return it == cells.end() ? nullptr : it->second;
  }
  const CellResult* finished(int replication, const Group& g, const std::string& profile) const {
    const CellResult* c = cell(replication, g, profile);
    return c != nullptr && c->status == CellStatus::finished ? c : nullptr;
  }
  // Any cell of the group (for its scenario spec), replication 0 first.
  const CellResult* any(const Group& g) const {
    for (int r = 0; r < replications; ++r)
      for (const auto& p : profiles)
        if (const CellResult* c = cell(r, g, p); c != nullptr && !c->scenario_spec.empty())
          return c;
    return nullptr;
  }

  const StoredRun& run;
  std::vector<std::string> sweeps, profiles, scenarios, optimizers;
  std::vector<Group> groups;
  std::map<CellId, const CellResult*> cells;
  int replications = 1;
};

const NamedSelection* find_selection(const CellResult& cell, const std::string& optimizer) {
  for (const auto& s : cell.selections)
    if (s.name == optimizer)
      return &s;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Plugins re-created from the canonical specs the store keeps

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
    else
      return optimizers_;
  }

  const PluginRegistry& registry_;
  std::vector<std::string>& warnings_;
  std::map<std::string, std::unique_ptr<PluginInstance<ModelProfile>>> profiles_;
  std::map<std::string, std::unique_ptr<PluginInstance<Scenario>>> scenarios_;
  std::map<std::string, std::unique_ptr<PluginInstance<Optimizer>>> optimizers_;
};

// What a person reads for each profile: its display name where the manifest gives one (the
// profile's `display_name` parameter; the text is the re-created profile's display_name(), the
// SDK's "name shown in reports", or the parameter itself when the plugin cannot be re-created),
// else the manifest key. A name shared by several profiles is followed by the key. Tables keep
// the key in their CSV copies and plot-data.json keeps it beside the name: machine-readable
// outputs match the store and the manifest.
class ProfileNames {
 public:
  ProfileNames(const Index& index, Plugins& plugins, std::vector<std::string>& notes) {
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

  /// The name of profile `key` for people; `key` itself when the run does not know it.
  std::string operator()(const std::string& key) const {
    const auto it = shown_.find(key);
    return it == shown_.end() ? key : it->second;
  }

 private:
  static std::string display_name(const Index& index, const std::string& key, Plugins& plugins,
                                  std::vector<std::string>& notes) {
    std::string spec;
    for (const auto& c : index.run.cells)
      if (c.profile == key && !c.profile_spec.empty()) {
        spec = c.profile_spec;
        break;
      }
    if (spec.empty())
      return {};
    std::string given;
    for (const auto& p : parse_spec(spec).params)
      if (p.key == "display_name")
        given = p.value;
    if (given.empty())
      return {};
    const auto* profile = plugins.get<ModelProfile>(spec);
    if (profile == nullptr)
      return given;
    try {
      const std::string name = call_plugin(profile->plugin().who(), "display_name",
                                           [&] { return (**profile).display_name(); });
      return name.empty() ? given : name;
    } catch (const std::exception& e) {
      notes.push_back(std::string(e.what()) + "; the report shows profile '" + key +
                      "' by its display_name parameter");
      return given;
    }
  }

  std::map<std::string, std::string> shown_;
};

// The exact (noise-free) table of one profile in one group and every rule's pick on it.
struct ExactCell {
  CandidateTable table;
  std::map<std::string, SelectionRecord> picks;  // by optimizer name
};

using ExactKey = std::tuple<std::string, std::string, std::string>;  // sweep, profile, scenario

// Exact references for every (group, profile) whose profile has an exact evaluator. Only for
// Monte Carlo runs: an exact run is its own reference.
std::map<ExactKey, ExactCell> exact_references(const Index& index, Plugins& plugins,
                                               std::vector<std::string>& notes) {
  std::map<ExactKey, ExactCell> out;
  if (index.run.context.evaluator == "exact")
    return out;
  std::set<std::string> unsupported;
  for (const Group& g : index.groups) {
    for (const auto& profile_name : index.profiles) {
      const CellResult* cell = nullptr;
      for (int r = 0; r < index.replications && cell == nullptr; ++r)
        cell = index.finished(r, g, profile_name);
      if (cell == nullptr || cell->profile_spec.empty() || cell->scenario_spec.empty())
        continue;
      const auto* profile = plugins.get<ModelProfile>(cell->profile_spec);
      const auto* scenario = plugins.get<Scenario>(cell->scenario_spec);
      if (profile == nullptr || scenario == nullptr || !(*profile)->has_exact())
        continue;
      try {
        ExactCell exact;
        exact.table = exact_candidates(**profile, (*scenario)->deployment());
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
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sections

std::string plugin_params_text(const std::string& spec) {
  if (spec.empty())
    return "(parameters not recorded: the run was stored by an older kcube)";
  const PluginSpec parsed = parse_spec(spec);
  std::vector<std::string> items;
  for (const auto& p : parsed.params)
    items.push_back(p.key + " = " + p.value);
  return parsed.name + (items.empty() ? "" : ": " + text::join(items, ", "));
}

// The parts of a run made by `kcube merge` (runs.merged_from, a JSON array), one line each:
// "'part-2.sqlite' run 1, shard 2/4, host node-b, finished, 7 cells". The text as stored when it
// is not such an array.
std::vector<std::string> merged_parts_text(const std::string& json) {
  namespace pt = boost::property_tree;
  pt::ptree parts;
  std::istringstream in(json);
  try {
    pt::read_json(in, parts);
  } catch (const pt::ptree_error&) {
    return {json};
  }
  std::vector<std::string> lines;
  for (const auto& [key, part] : parts) {
    const auto field = [&part = part](const char* name) {
      return part.get<std::string>(name, "?");
    };
    const std::string shard = field("shard");
    lines.push_back("'" + field("store") + "' run " + field("run") +
                    (shard == "null" ? ", whole run" : ", shard " + shard) + ", host " +
                    field("host") + ", " + field("status") + ", " + field("cells") + " cells");
  }
  return lines;
}

void context_section(Document& doc, const Index& index) {
  const StoredRun& run = index.run;
  const RunContext& c = run.context;
  doc.heading(2, "Run");
  DocTable t;
  t.name = "run";
  t.header = {"field", "value"};
  auto add = [&](std::string field, std::string value) {
    t.rows.push_back({std::move(field), std::move(value)});
  };
  add("experiment", c.experiment);
  add("run id", std::to_string(run.summary.id));
  add("status", std::string(to_string(run.summary.status)));
  add("started", c.started_at);
  add("finished", run.summary.finished_at.empty() ? "-" : run.summary.finished_at);
  if (const auto wall = seconds_between(c.started_at, run.summary.finished_at))
    add("wall time", fmt(*wall, "%.0f s"));
  double cell_seconds = 0.0, slowest = 0.0;
  for (const auto& cell : run.cells) {
    cell_seconds += cell.seconds;
    slowest = std::max(slowest, cell.seconds);
  }
  add("cell time", fmt(cell_seconds, "%.3g s in all") + fmt(slowest, ", slowest cell %.3g s"));
  add("cells", std::to_string(run.summary.cells_finished) + " finished, " +
                   std::to_string(run.summary.cells_failed) + " errors, " +
                   std::to_string(run.summary.cell_count) + " planned");
  if (c.shard_count > 0) {
    add("shard", std::to_string(c.shard_index) + "/" + std::to_string(c.shard_count) +
                     ": the cells at plan positions p with p % " + std::to_string(c.shard_count) +
                     " = " + std::to_string(c.shard_index - 1) + ", of the plan's " +
                     std::to_string(c.plan_cells));
  }
  if (c.ranks > 1)
    add("MPI processes", std::to_string(c.ranks));
  if (!c.merged_from.empty()) {
    const auto parts = merged_parts_text(c.merged_from);
    for (std::size_t i = 0; i < parts.size(); ++i)
      add(i == 0 ? "merged from" : "", parts[i]);
  }
  add("evaluator", c.evaluator);
  add("trials per cell", c.trials ? std::to_string(*c.trials) : "- (exact)");
  add("replications", std::to_string(c.replications));
  add("sampling", c.sampling.empty() ? "-" : c.sampling);
  add("seed", std::to_string(c.seed));
  add("threads", std::to_string(c.threads));
  add("manifest sha256", c.manifest_sha256);
  add("overrides", c.overrides.empty() ? "-" : text::join(c.overrides, " "));
  add("kcube", c.kcube_version + (c.git_revision.empty() ? "" : " (" + c.git_revision + ")"));
  add("compiler, build", c.compiler + ", " + c.build_type);
  add("host", c.host);
  // Cells of more than one build (resumed or merged with --allow-changed-plugins).
  const auto changes = build_change_lines(c.build_changes);
  for (std::size_t i = 0; i < changes.size(); ++i)
    add(i == 0 ? "builds changed" : "", changes[i]);
  doc.table(std::move(t));

  DocTable plugins;
  plugins.name = "plugins";
  plugins.header = {"plugin", "kind", "version", "sha256", "file"};
  for (const auto& p : c.plugins)
    plugins.rows.push_back(
        {p.name, p.kind, p.version, p.sha256.empty() ? "unknown" : p.sha256, p.file});
  doc.paragraph(changes.empty() ? "Plugins:"
                                : "Plugins the run began with (later builds: 'builds changed' "
                                  "above; the cells come from more than one build):");
  doc.table(std::move(plugins));
  doc.code("Manifest (with its includes)", c.manifest_text);
}

void picks_section(Document& doc, const Index& index, const ProfileNames& names,
                   const std::map<ExactKey, ExactCell>& exact) {
  doc.heading(2, "Picks per scenario");
  std::string intro =
      "Each rule's pick for each profile: k, the expected accuracy, cost (USD per request) and "
      "latency (s per request) of that candidate, and the rule's status.";
  if (index.replications > 1)
    intro += " The run has " + std::to_string(index.replications) +
             " replications; these tables show replication 0 (the manifest's seed), the "
             "stability section all of them.";
  if (!exact.empty())
    intro +=
        " 'exact k' is the same rule's pick on the exact (noise-free) expected values, where "
        "the profile has an exact evaluator.";
  doc.paragraph(intro);
  for (const Group& g : index.groups) {
    doc.heading(3, "Scenario " + g.title());
    if (const CellResult* any = index.any(g))
      doc.paragraph("Scenario parameters: " + plugin_params_text(any->scenario_spec) + ".");

    // Compact: profiles x optimizers -> k.
    DocTable wide;
    wide.header = {"profile"};
    wide.numeric = {false};
    for (const auto& o : index.optimizers) {
      wide.header.push_back(o);
      wide.numeric.push_back(true);
    }
    DocTable t;
    t.name = "picks-" + g.file_stem();
    t.header = {"profile",     "optimizer",     "status",        "k",
                "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"};
    t.numeric = {false, false, false, true, true, true, true};
    const bool with_exact = !exact.empty();
    if (with_exact) {
      t.header.push_back("exact k");
      t.numeric.push_back(true);
    }
    t.header.push_back("why (when no regular pick)");
    t.numeric.push_back(false);
    for (const auto& profile : index.profiles) {
      std::vector<std::string> wide_row = {names(profile)};
      const CellResult* cell = index.cell(0, g, profile);
      const auto exact_it = exact.find({g.sweep, profile, g.scenario});
      for (const auto& o : index.optimizers) {
        if (cell == nullptr) {
          wide_row.push_back("-");
          continue;
        }
        if (cell->status == CellStatus::error && cell->selections.empty()) {
          wide_row.push_back("error");
          continue;
        }
        const NamedSelection* s = find_selection(*cell, o);
        if (s == nullptr) {
          wide_row.push_back("-");
          continue;
        }
        const SelectionRecord& r = s->record;
        wide_row.push_back(pick_text(r));
        std::vector<std::string> row = {names(profile),
                                        o,
                                        status_text(r),
                                        full_k(r.k),
                                        fmt_opt(r.accuracy, fmt_accuracy),
                                        fmt_opt(r.cost, fmt_cost),
                                        fmt_opt(r.latency, fmt_latency)};
        std::vector<std::string> values = {
            profile,        o, status_text(r), full_k(r.k), full(r.accuracy), full(r.cost),
            full(r.latency)};
        if (with_exact) {
          std::string exact_k = "-";
          if (exact_it != exact.end()) {
            if (const auto p = exact_it->second.picks.find(o); p != exact_it->second.picks.end())
              exact_k = pick_text(p->second);
          }
          row.push_back(exact_k);
          values.push_back(exact_k);
        }
        const std::string why = r.status == SelectionStatus::selected ? "" : r.reason;
        row.push_back(why);
        values.push_back(why);
        t.rows.push_back(std::move(row));
        t.values.push_back(std::move(values));
      }
      if (cell != nullptr && cell->status == CellStatus::error && cell->selections.empty()) {
        std::vector<std::string> row = {profile, "-", "error", "", "", "", ""};
        if (with_exact)
          row.push_back("");
        row.push_back(cell->message);
        t.values.push_back(row);
        row.front() = names(profile);
        t.rows.push_back(std::move(row));
      }
      wide.rows.push_back(std::move(wide_row));
    }
    doc.paragraph("k picked (replication 0):");
    doc.table(std::move(wide));
    doc.table(std::move(t));
  }
}

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

// Stability of every (group, profile, optimizer) of a run.
struct StabilityEntry {
  Group group;
  std::string profile, optimizer;
  Stability stability;
  int distinct = 0;
};

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

void stability_section(Document& doc, const Index& index, const ProfileNames& names,
                       const std::vector<StabilityEntry>& all, bool with_exact) {
  doc.heading(2, "Stability over replications");
  std::string intro =
      "How each pick varies over the " + std::to_string(index.replications) +
      " replications (independent seeds): the most frequent k, its share, and the range of "
      "picked k.";
  if (with_exact)
    intro +=
        " Where the profile has an exact evaluator: the exact optimum k* of the same rule, the "
        "share of replications that picked it, and the mean regret of the picks on exact values "
        "(accuracy E[A](k*) - E[A](k); cost and latency E(k) - E(k*); positive = worse than "
        "k*).";
  doc.paragraph(intro);
  for (const Group& g : index.groups) {
    doc.heading(3, "Stability: scenario " + g.title());
    DocTable t;
    t.name = "stability-" + g.file_stem();
    t.header = {"profile", "optimizer", "modal k", "share", "range", "no pick"};
    t.numeric = {false, false, true, true, true, true};
    if (with_exact) {
      for (const char* h :
           {"exact k*", "P(k*)", "regret accuracy", "regret cost (USD)", "regret latency (s)"}) {
        t.header.push_back(h);
        t.numeric.push_back(true);
      }
    }
    for (const auto& e : all) {
      if (e.group.scenario != g.scenario || e.group.sweep != g.sweep)
        continue;
      const Stability& s = e.stability;
      const double share =
          s.replications > 0 ? static_cast<double>(s.modal_count) / s.replications : 0.0;
      const std::string range =
          s.k_min
              ? (*s.k_min == *s.k_max ? std::to_string(*s.k_min)
                                      : std::to_string(*s.k_min) + "-" + std::to_string(*s.k_max))
              : "-";
      std::vector<std::string> row = {names(e.profile),
                                      e.optimizer,
                                      s.modal_k ? std::to_string(*s.modal_k) : "-",
                                      std::to_string(s.modal_count) + "/" +
                                          std::to_string(s.replications) + " (" + percent(share) +
                                          ")",
                                      range,
                                      std::to_string(s.no_pick)};
      std::vector<std::string> values = {
          e.profile,
          e.optimizer,
          full_k(s.modal_k),
          text::format_real(share),
          s.k_min ? std::to_string(*s.k_min) + "-" + std::to_string(*s.k_max) : "",
          std::to_string(s.no_pick)};
      if (with_exact) {
        const bool has = s.p_exact.has_value();
        const std::string exact_k = has ? (s.exact_k ? std::to_string(*s.exact_k) : "none") : "-";
        row.push_back(exact_k);
        values.push_back(has ? exact_k : "");
        row.push_back(has ? percent(*s.p_exact) : "-");
        values.push_back(has ? text::format_real(*s.p_exact) : "");
        for (const auto* v : {&s.regret_accuracy, &s.regret_cost, &s.regret_latency}) {
          row.push_back(!*v ? "-" : **v == 0.0 ? "0" : fmt(**v, "%+.3g"));
          values.push_back(full(*v));
        }
      }
      t.rows.push_back(std::move(row));
      t.values.push_back(std::move(values));
    }
    doc.table(std::move(t));
  }
}

// Overrides without run.sampling, canonical: how two runs that differ only in sampling match.
std::string overrides_without_sampling(const std::vector<std::string>& overrides) {
  std::vector<std::string> kept;
  for (const auto& o : overrides)
    if (o.rfind("run.sampling=", 0) != 0)
      kept.push_back(o);
  return canonical_overrides(kept);
}

void sampling_section(Document& doc, ResultStore& store, const Index& index,
                      const std::vector<StabilityEntry>& own, Plugins& plugins,
                      std::vector<std::string>& notes) {
  const RunContext& c = index.run.context;
  if (c.evaluator == "exact" || c.replications < 2 || c.sampling.empty())
    return;
  // The newest other run of the same manifest, differing only in run.sampling.
  std::optional<StoredRun> other;
  const auto runs = store.runs();
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    if (it->id == index.run.summary.id || it->manifest_sha256 != c.manifest_sha256)
      continue;
    StoredRun candidate = store.load_run(it->id);
    const RunContext& oc = candidate.context;
    if (oc.sampling.empty() || oc.sampling == c.sampling || oc.replications < 2 ||
        oc.evaluator != c.evaluator || oc.trials != c.trials ||
        overrides_without_sampling(oc.overrides) != overrides_without_sampling(c.overrides))
      continue;
    other = std::move(candidate);
    break;
  }
  if (!other)
    return;
  const Index other_index(*other);
  std::vector<std::string> other_notes;
  const auto other_exact = exact_references(other_index, plugins, other_notes);
  const auto theirs = stability_entries(other_index, other_exact);

  doc.heading(2, "Nested against independent sampling");
  doc.paragraph("Run " + std::to_string(index.run.summary.id) + " (" + c.sampling + ") and run " +
                std::to_string(other->summary.id) + " (" + other->context.sampling +
                ") are the same manifest with the same trials, differing only in sampling. Per "
                "rule, over every profile and scenario: the mean share of the modal pick, the "
                "mean number of distinct picks, and where exact references exist the mean "
                "share of replications that found the exact optimum and the mean absolute "
                "accuracy regret.");
  DocTable t;
  t.name = "sampling";
  t.header = {"optimizer",   "sampling",   "run",         "groups",
              "modal share", "distinct k", "P(exact k*)", "|regret accuracy|"};
  t.numeric = {false, false, true, true, true, true, true, true};
  auto add_rows = [&](const std::vector<StabilityEntry>& entries, const StoredRun& run,
                      const std::string& optimizer) {
    std::vector<Stability> groups;
    std::vector<int> distinct;
    for (const auto& e : entries) {
      if (e.optimizer == optimizer) {
        groups.push_back(e.stability);
        distinct.push_back(e.distinct);
      }
    }
    const SamplingSummary s = summarise(groups, distinct);
    t.rows.push_back({optimizer, run.context.sampling, std::to_string(run.summary.id),
                      std::to_string(s.groups), percent(s.mean_modal_share),
                      fmt(s.mean_distinct, "%.2f"), s.mean_p_exact ? percent(*s.mean_p_exact) : "-",
                      s.mean_abs_regret_accuracy ? fmt(*s.mean_abs_regret_accuracy, "%.3g") : "-"});
    t.values.push_back({optimizer, run.context.sampling, std::to_string(run.summary.id),
                        std::to_string(s.groups), text::format_real(s.mean_modal_share),
                        text::format_real(s.mean_distinct), full(s.mean_p_exact),
                        full(s.mean_abs_regret_accuracy)});
  };
  for (const auto& optimizer : index.optimizers) {
    add_rows(own, index.run, optimizer);
    add_rows(theirs, *other, optimizer);
  }
  doc.table(std::move(t));
  notes.insert(notes.end(), other_notes.begin(), other_notes.end());
}

// The cross-model pool of one group (replication 0).
struct GroupPool {
  std::vector<PoolInput> inputs;
  Pool pool;
  bool valid = false;
};

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

void cross_model_section(Document& doc, const Index& index, const ProfileNames& names,
                         Plugins& plugins, const std::map<std::string, GroupPool>& pools) {
  doc.heading(2, "Cross-model view");
  doc.paragraph(
      "Every (profile, k) of a scenario pooled into one candidate set (replication 0). The "
      "Pareto set across models (cost and latency minimised, accuracy maximised, among the "
      "feasible candidates); each rule applied to the pool, so it chooses the model as well as "
      "k (the pool is ordered by cost, so a tie goes to the cheaper candidate); and for each "
      "profile's accuracy-max pick, the cheapest candidate of another profile that reaches at "
      "least its accuracy within the budgets at a strictly lower cost.");
  for (const Group& g : index.groups) {
    doc.heading(3, "Cross-model: scenario " + g.title());
    const auto it = pools.find(g.title());
    if (it == pools.end() || !it->second.valid) {
      doc.paragraph("No finished cell with feasibility: nothing to pool.");
      continue;
    }
    const Pool& p = it->second.pool;
    doc.paragraph(std::to_string(p.table.rows.size()) + " candidates from " +
                  std::to_string(it->second.inputs.size()) + " profiles; " +
                  std::to_string(p.feasible_rows.size()) + " feasible; " +
                  std::to_string(p.pareto.size()) + " on the cross-model Pareto set.");

    // Each rule on the pool.
    const CellResult* any = index.any(g);
    const auto* scenario = any != nullptr ? plugins.get<Scenario>(any->scenario_spec) : nullptr;
    if (scenario != nullptr) {
      AssessedTable assessed;
      assessed.budget = (*scenario)->budget();
      for (const bool f : p.feasible)
        assessed.verdicts.push_back({f, f ? "" : "infeasible for its profile"});
      assessed.feasible = p.feasible_rows;
      assessed.pareto = p.pareto;
      DocTable t;
      t.name = "cross-model-rules-" + g.file_stem();
      t.header = {"optimizer",   "status",        "profile",       "k",
                  "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"};
      t.numeric = {false, false, false, true, true, true, true};
      for (const auto& name : index.optimizers) {
        const NamedSelection* s = nullptr;
        for (const auto& profile : index.profiles) {
          if (const CellResult* c = index.finished(0, g, profile))
            if ((s = find_selection(*c, name)) != nullptr)
              break;
        }
        const auto* optimizer =
            s != nullptr ? plugins.get<Optimizer>(s->record.canonical_spec) : nullptr;
        if (optimizer == nullptr)
          continue;
        const SelectionRecord r = run_selection(*optimizer, p.table, assessed);
        std::string profile = "-", k;
        if (r.k) {
          const PoolOrigin& o = p.origin[static_cast<std::size_t>(*r.k - 1)];
          profile = o.profile;
          k = std::to_string(o.k);
        }
        t.rows.push_back({name, status_text(r), r.k ? names(profile) : profile, k,
                          fmt_opt(r.accuracy, fmt_accuracy), fmt_opt(r.cost, fmt_cost),
                          fmt_opt(r.latency, fmt_latency)});
        t.values.push_back(
            {name, status_text(r), profile, k, full(r.accuracy), full(r.cost), full(r.latency)});
      }
      doc.paragraph("Each rule on the pool:");
      doc.table(std::move(t));
    } else {
      doc.paragraph(
          "The rules on the pool need the scenario plugin, which could not be "
          "re-created (see the notes).");
    }

    // Cheaper alternatives to each profile's accuracy-max pick.
    std::optional<std::string> accuracy_max;
    for (const auto& name : index.optimizers) {
      for (const auto& profile : index.profiles) {
        if (const CellResult* c = index.finished(0, g, profile)) {
          const NamedSelection* s = find_selection(*c, name);
          if (s != nullptr && s->record.optimizer == "accuracy-max")
            accuracy_max = name;
          break;
        }
      }
      if (accuracy_max)
        break;
    }
    if (!accuracy_max) {
      doc.paragraph(
          "No optimizer of the run uses the accuracy-max plugin, so there is no "
          "'cheaper model' table; add one to the manifest to get it.");
    } else {
      std::vector<ReferencePick> refs;
      for (std::size_t i = 0; i < it->second.inputs.size(); ++i) {
        const CellResult* c = index.finished(0, g, it->second.inputs[i].profile);
        const NamedSelection* s = c != nullptr ? find_selection(*c, *accuracy_max) : nullptr;
        if (s != nullptr && s->record.k)
          refs.push_back({i, *s->record.k});
      }
      auto rows = cheaper_alternatives(p, refs);
      std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.reference_values.cost > b.reference_values.cost;
      });
      DocTable t;
      t.name = "cheaper-alternatives-" + g.file_stem();
      // Every column named once: a CSV reader keys columns by name.
      t.header = {"profile",
                  "k",
                  "E[accuracy]",
                  "E[cost] (USD)",
                  "E[latency] (s)",
                  "cheaper alternative",
                  "alternative k",
                  "alternative E[accuracy]",
                  "alternative E[cost] (USD)",
                  "alternative E[latency] (s)",
                  "cost ratio",
                  "latency ratio"};
      t.numeric = {false, true, true, true, true, false, true, true, true, true, true, true};
      for (const auto& row : rows) {
        const Candidate& r = row.reference_values;
        std::vector<std::string> shown = {names(row.reference.profile),
                                          std::to_string(row.reference.k), fmt_accuracy(r.accuracy),
                                          fmt_cost(r.cost), fmt_latency(r.latency)};
        std::vector<std::string> values = {row.reference.profile, std::to_string(row.reference.k),
                                           text::format_real(r.accuracy), text::format_real(r.cost),
                                           text::format_real(r.latency)};
        if (row.alternative) {
          const Candidate& a = row.alternative_values;
          shown.push_back(names(row.alternative->profile));
          values.push_back(row.alternative->profile);
          for (auto* v : {&shown, &values})
            v->push_back(std::to_string(row.alternative->k));
          shown.insert(shown.end(),
                       {fmt_accuracy(a.accuracy), fmt_cost(a.cost), fmt_latency(a.latency),
                        fmt_opt(row.cost_ratio, [](double x) { return fmt(x, "%.3g"); }),
                        fmt_opt(row.latency_ratio, [](double x) { return fmt(x, "%.3g"); })});
          values.insert(values.end(), {text::format_real(a.accuracy), text::format_real(a.cost),
                                       text::format_real(a.latency), full(row.cost_ratio),
                                       full(row.latency_ratio)});
        } else {
          shown.insert(shown.end(), {"none", "", "", "", "", "", ""});
          values.insert(values.end(), {"", "", "", "", "", "", ""});
        }
        t.rows.push_back(std::move(shown));
        t.values.push_back(std::move(values));
      }
      doc.paragraph(
          "Cheaper alternatives to each profile's " + *accuracy_max +
          " pick (most expensive pick first): the cheapest feasible candidate of another "
          "profile whose expected accuracy is at least the pick's and whose expected cost is "
          "strictly lower (ties: lower latency, then manifest order, then smaller k); 'none' "
          "when no other profile reaches that accuracy for less. The cost ratio (alternative / "
          "pick) is therefore below 1; the latency ratio may be above 1 (cheaper, but slower):");
      doc.table(std::move(t));
    }

    DocTable front;
    front.name = "cross-model-pareto-" + g.file_stem();
    front.header = {"profile", "k", "E[accuracy]", "E[cost] (USD)", "E[latency] (s)"};
    front.numeric = {false, true, true, true, true};
    for (const std::size_t row : p.pareto) {
      const Candidate& c = p.table.rows[row];
      const PoolOrigin& o = p.origin[row];
      front.rows.push_back({names(o.profile), std::to_string(o.k), fmt_accuracy(c.accuracy),
                            fmt_cost(c.cost), fmt_latency(c.latency)});
      front.values.push_back({o.profile, std::to_string(o.k), text::format_real(c.accuracy),
                              text::format_real(c.cost), text::format_real(c.latency)});
    }
    doc.paragraph("The cross-model Pareto set, cheapest first:");
    doc.table(std::move(front));
  }
}

void errors_section(Document& doc, const Index& index, const ProfileNames& names) {
  std::vector<std::string> items;
  std::size_t count = 0;
  for (const auto& c : index.run.cells) {
    if (c.status != CellStatus::error)
      continue;
    if (++count <= 50)
      items.push_back(names(c.profile) + " x " + c.scenario +
                      (c.sweep.empty() ? "" : " at " + c.sweep) + ", replication " +
                      std::to_string(c.replication) + ": " + c.message);
  }
  if (items.empty())
    return;
  doc.heading(2, "Cells that failed");
  if (count > items.size())
    items.push_back("... and " + std::to_string(count - items.size()) + " more");
  doc.bullets(std::move(items));
}

// ---------------------------------------------------------------------------------------------
// Sweep summary: each rule's pick against the swept values

// The assignments of a canonical sweep label, "scenarios.b.params.cost_max=0.5,run.trials=300",
// in order. A piece that is no "path=value" (a value holding a comma) belongs to the value
// before it: paths always hold a dot and never a space.
std::vector<std::pair<std::string, std::string>> sweep_assignments(const std::string& label) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= label.size() && !label.empty()) {
    const std::size_t comma = std::min(label.find(',', start), label.size());
    const std::string piece = label.substr(start, comma - start);
    const std::size_t eq = piece.find('=');
    const std::string path = eq == std::string::npos ? "" : piece.substr(0, eq);
    if (!path.empty() && path.find('.') != std::string::npos && path.find(' ') == std::string::npos)
      out.emplace_back(path, piece.substr(eq + 1));
    else if (!out.empty())
      out.back().second += "," + piece;
    start = comma + 1;
  }
  return out;
}

// The sweep as one scenario sees it: the swept paths that can change it (all but other
// scenarios' parameters) and one sweep point per combination of their values, in run order.
struct SweepSummary {
  std::string scenario;
  std::vector<std::string> axes;
  struct Point {
    std::string sweep;                // the canonical label of a sweep point with these values
    std::vector<std::string> values;  // one per axis
  };
  std::vector<Point> points;
};

std::vector<SweepSummary> sweep_summaries(const Index& index) {
  std::vector<std::string> paths;
  std::map<std::string, std::map<std::string, std::string>> assigned;  // label -> path -> value
  for (const auto& label : index.sweeps) {
    for (const auto& [path, value] : sweep_assignments(label)) {
      add_unique(paths, path);
      assigned[label][path] = value;
    }
  }
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

// The pick of `optimizer` for `profile` at one sweep point of a scenario (replication 0).
const SelectionRecord* sweep_pick(const Index& index, const std::string& scenario,
                                  const std::string& sweep, const std::string& profile,
                                  const std::string& optimizer) {
  const CellResult* cell = index.cell(0, Group{scenario, sweep}, profile);
  const NamedSelection* s = cell != nullptr ? find_selection(*cell, optimizer) : nullptr;
  return s != nullptr ? &s->record : nullptr;
}

void sweep_section(Document& doc, const Index& index, const ProfileNames& names,
                   const std::vector<SweepSummary>& sweeps,
                   const std::map<std::string, std::vector<DocFigure>>* figures) {
  if (sweeps.empty())
    return;
  std::vector<std::string> paths;
  for (const auto& summary : sweeps)
    for (const auto& axis : summary.axes)
      add_unique(paths, axis);
  doc.heading(2, "Sweep summary");
  doc.paragraph(
      "The run sweeps " + text::join(paths, ", ") + " (" + std::to_string(index.sweeps.size()) +
      " sweep points). Per scenario, each rule's pick for each profile against the swept "
      "values (replication 0): status, k, and the expected accuracy, cost (USD per request) and "
      "latency (s per request) of the candidate picked. A swept parameter of another scenario "
      "is left out of a scenario's table. The sections below have every sweep point in "
      "detail.");
  for (const SweepSummary& summary : sweeps) {
    doc.heading(3, "Sweep: scenario " + summary.scenario);
    DocTable t;
    t.name = "sweep-" + slug(summary.scenario);
    t.header = summary.axes;
    t.numeric.assign(summary.axes.size(), true);
    for (const char* h : {"profile", "optimizer", "status", "k", "E[accuracy]", "E[cost] (USD)",
                          "E[latency] (s)"}) {
      t.header.push_back(h);
      t.numeric.push_back(t.header.size() > summary.axes.size() + 3);
    }
    for (const auto& point : summary.points) {
      for (const auto& profile : index.profiles) {
        for (const auto& optimizer : index.optimizers) {
          const SelectionRecord* r =
              sweep_pick(index, summary.scenario, point.sweep, profile, optimizer);
          std::vector<std::string> row = point.values, values = point.values;
          row.insert(row.end(), {names(profile), optimizer});
          values.insert(values.end(), {profile, optimizer});
          if (r == nullptr) {
            for (auto* v : {&row, &values})
              v->insert(v->end(), {"-", "", "", "", ""});
          } else {
            row.insert(row.end(),
                       {status_text(*r), full_k(r->k), fmt_opt(r->accuracy, fmt_accuracy),
                        fmt_opt(r->cost, fmt_cost), fmt_opt(r->latency, fmt_latency)});
            values.insert(values.end(), {status_text(*r), full_k(r->k), full(r->accuracy),
                                         full(r->cost), full(r->latency)});
          }
          t.rows.push_back(std::move(row));
          t.values.push_back(std::move(values));
        }
      }
    }
    doc.table(std::move(t));
    if (figures != nullptr)
      if (const auto it = figures->find(summary.scenario); it != figures->end())
        doc.figures("", it->second);
  }
}

// ---------------------------------------------------------------------------------------------
// Figures: data for tools/kcube_plot.py

std::string json_number(double v) {
  // The store never holds non-finite values; a bound may be infinite (unbounded) -> null.
  return std::isfinite(v) ? text::format_real(v) : "null";
}

std::string json_array(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? "," : "") + json_number(values[i]);
  return out + "]";
}

std::string json_budget(const Budget& b) {
  return "{\"cost_max\":" + json_number(b.cost_max) +
         ",\"latency_max\":" + json_number(b.latency_max) +
         ",\"accuracy_min\":" + (b.accuracy_min > 0.0 ? json_number(b.accuracy_min) : "null") + "}";
}

std::string json_candidates(const CandidateTable& t, const std::vector<bool>& feasible,
                            const Budget& budget) {
  std::vector<double> cost, latency, accuracy;
  std::string k = "[", feas = "[", cube = "[";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const Candidate& c = t.rows[i];
    cost.push_back(c.cost);
    latency.push_back(c.latency);
    accuracy.push_back(c.accuracy);
    const bool f = i < feasible.size() && feasible[i];
    k += (i ? "," : "") + std::to_string(c.k);
    feas += (i ? "," : "") + std::string(f ? "true" : "false");
    cube += (i ? "," : "") + (f ? json_number(cube_volume(c, budget)) : std::string("null"));
  }
  std::string out = "{\"k\":" + k + "],\"cost\":" + json_array(cost) +
                    ",\"latency\":" + json_array(latency) +
                    ",\"accuracy\":" + json_array(accuracy) + ",\"feasible\":" + feas +
                    "],\"cube\":" + cube + "]";
  for (const char* column :
       {"accuracy_p025", "accuracy_p975", "accuracy_se", "cost_p025", "cost_p975", "cost_se",
        "latency_p025", "latency_p975", "latency_se"}) {
    if (const auto* values = t.column(column))
      out += std::string(",\"") + column + "\":" + json_array(*values);
  }
  return out + "}";
}

std::string json_picks(const CellResult& cell) {
  std::string out = "[";
  bool first = true;
  for (const auto& s : cell.selections) {
    if (!s.record.k || !s.record.cost)
      continue;
    out += (first ? "" : ",") + std::string("{\"optimizer\":") + text::json_quote(s.name) +
           ",\"k\":" + std::to_string(*s.record.k) + ",\"cost\":" + json_number(*s.record.cost) +
           ",\"latency\":" + json_number(*s.record.latency) +
           ",\"accuracy\":" + json_number(*s.record.accuracy) + "}";
    first = false;
  }
  return out + "]";
}

// The value of a sweep as a number, when all of them are numbers (for a numeric axis).
std::optional<std::vector<double>> numeric_values(const std::vector<std::string>& values) {
  std::vector<double> out;
  for (const auto& v : values) {
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x))
      return std::nullopt;
    out.push_back(x);
  }
  return out;
}

// The "sweep" figure of one scenario against axis `a`: one series per (profile, rule, values
// of the other axes), with k, accuracy and cost at each value of the axis (null: no pick).
std::string sweep_figure_json(const SweepSummary& summary, std::size_t a, const Index& index,
                              const ProfileNames& names, const std::string& file,
                              const std::string& title) {
  std::vector<std::string> xs;
  std::vector<std::vector<std::string>> others;  // values of the other axes, in run order
  for (const auto& point : summary.points) {
    add_unique(xs, point.values[a]);
    std::vector<std::string> rest = point.values;
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(a));
    if (std::find(others.begin(), others.end(), rest) == others.end())
      others.push_back(std::move(rest));
  }
  std::string values = "[";
  for (std::size_t i = 0; i < xs.size(); ++i)
    values += (i ? "," : "") + text::json_quote(xs[i]);
  values += "]";
  const auto numeric = numeric_values(xs);
  std::string series = "[";
  bool first = true;
  for (const auto& profile : index.profiles) {
    for (const auto& optimizer : index.optimizers) {
      for (const auto& rest : others) {
        std::string label = names(profile) + ", " + optimizer;
        std::vector<std::string> where;
        for (std::size_t o = 0, r = 0; o < summary.axes.size(); ++o)
          if (o != a)
            where.push_back(summary.axes[o] + "=" + rest[r++]);
        if (!where.empty())
          label += " (" + text::join(where, ", ") + ")";
        std::string k = "[", accuracy = "[", cost = "[";
        for (std::size_t i = 0; i < xs.size(); ++i) {
          const SelectionRecord* r = nullptr;
          for (const auto& point : summary.points) {
            std::vector<std::string> point_rest = point.values;
            point_rest.erase(point_rest.begin() + static_cast<std::ptrdiff_t>(a));
            if (point.values[a] == xs[i] && point_rest == rest) {
              r = sweep_pick(index, summary.scenario, point.sweep, profile, optimizer);
              break;
            }
          }
          const bool picked = r != nullptr && r->k && r->accuracy && r->cost;
          const std::string sep = i ? "," : "";
          k += sep + (picked ? std::to_string(*r->k) : "null");
          accuracy += sep + (picked ? json_number(*r->accuracy) : "null");
          cost += sep + (picked ? json_number(*r->cost) : "null");
        }
        series += std::string(first ? "" : ",") + "{\"profile\":" + text::json_quote(profile) +
                  ",\"optimizer\":" + text::json_quote(optimizer) +
                  ",\"label\":" + text::json_quote(label) + ",\"k\":" + k +
                  "],\"accuracy\":" + accuracy + "],\"cost\":" + cost + "]}";
        first = false;
      }
    }
  }
  series += "]";
  return "{\"kind\":\"sweep\",\"output\":" + text::json_quote(file) +
         ",\"title\":" + text::json_quote(title) +
         ",\"parameter\":" + text::json_quote(summary.axes[a]) + ",\"values\":" + values +
         ",\"x\":" + (numeric ? json_array(*numeric) : "null") + ",\"series\":" + series + "}";
}

// A figure of the Figures section and whose it is: "" for a scenario's fronts, else the name
// of its profile (one row of figures each).
struct GroupFigure {
  std::string owner;
  DocFigure figure;
};

struct FigurePlan {
  std::string json;                // the plot-data file
  std::vector<std::string> files;  // relative to the report folder, in order
  std::map<std::string, std::vector<GroupFigure>> by_group;  // group title -> figures
  std::map<std::string, std::vector<DocFigure>> by_sweep;    // scenario -> sweep summaries
};

FigurePlan plan_figures(const Index& index, const ProfileNames& names, Plugins& plugins,
                        const std::map<std::string, GroupPool>& pools,
                        const std::vector<SweepSummary>& sweeps, const PlotOptions& plot) {
  FigurePlan plan;
  const std::string ext = "." + plot.format;
  std::string figures;
  auto add_json = [&](const std::string& json, const std::string& file) {
    figures += (figures.empty() ? "" : ",\n") + json;
    plan.files.push_back(file);
  };
  auto add = [&](const std::string& group, const std::string& owner, const std::string& json,
                 const std::string& file, const std::string& caption) {
    add_json(json, file);
    plan.by_group[group].push_back({owner, {file, caption}});
  };
  for (const SweepSummary& summary : sweeps) {
    for (std::size_t a = 0; a < summary.axes.size(); ++a) {
      const std::string file =
          "figures/sweep--" + slug(summary.scenario) + "--" + slug(summary.axes[a]) + ext;
      const std::string title =
          "Scenario " + summary.scenario + ": the picks against " + summary.axes[a];
      add_json(sweep_figure_json(summary, a, index, names, file, title), file);
      plan.by_sweep[summary.scenario].push_back(
          {file, title + " (k, expected accuracy and cost of each rule's pick)"});
    }
  }
  for (const Group& g : index.groups) {
    const CellResult* any = index.any(g);
    const auto* scenario = any != nullptr ? plugins.get<Scenario>(any->scenario_spec) : nullptr;
    const Budget budget = scenario != nullptr ? (*scenario)->budget() : Budget{};
    const std::string budget_json = json_budget(budget);
    const auto pool_it = pools.find(g.title());
    if (pool_it != pools.end() && pool_it->second.valid) {
      std::string series = "[";
      for (std::size_t i = 0; i < pool_it->second.inputs.size(); ++i) {
        const PoolInput& in = pool_it->second.inputs[i];
        const CandidateTable& t = *in.table;
        std::vector<double> cost, latency, accuracy;
        std::string k = "[", feas = "[";
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
          cost.push_back(t.rows[r].cost);
          latency.push_back(t.rows[r].latency);
          accuracy.push_back(t.rows[r].accuracy);
          k += (r ? "," : "") + std::to_string(t.rows[r].k);
          feas += (r ? "," : "") + std::string((*in.feasible)[r] ? "true" : "false");
        }
        series += (i ? "," : "") + std::string("{\"profile\":") + text::json_quote(in.profile) +
                  ",\"label\":" + text::json_quote(names(in.profile)) + ",\"k\":" + k +
                  "],\"cost\":" + json_array(cost) + ",\"latency\":" + json_array(latency) +
                  ",\"accuracy\":" + json_array(accuracy) + ",\"feasible\":" + feas + "]}";
      }
      series += "]";
      std::string pareto = "[";
      const Pool& p = pool_it->second.pool;
      for (std::size_t i = 0; i < p.pareto.size(); ++i) {
        const Candidate& c = p.table.rows[p.pareto[i]];
        const PoolOrigin& o = p.origin[p.pareto[i]];
        pareto += (i ? "," : "") + std::string("{\"profile\":") + text::json_quote(o.profile) +
                  ",\"label\":" + text::json_quote(names(o.profile)) +
                  ",\"k\":" + std::to_string(o.k) + ",\"cost\":" + json_number(c.cost) +
                  ",\"latency\":" + json_number(c.latency) +
                  ",\"accuracy\":" + json_number(c.accuracy) + "}";
      }
      pareto += "]";
      const std::string file = "figures/" + g.file_stem() + "--fronts" + ext;
      add(g.title(), "",
          "{\"kind\":\"fronts\",\"output\":" + text::json_quote(file) +
              ",\"title\":" + text::json_quote("All profiles, scenario " + g.title()) +
              ",\"budget\":" + budget_json + ",\"series\":" + series +
              ",\"pooled_pareto\":" + pareto + "}",
          file, "Scenario " + g.title() + ": every profile in the (cost, accuracy) plane");
    }
    for (const auto& profile : index.profiles) {
      const CellResult* cell = index.finished(0, g, profile);
      if (cell == nullptr || cell->candidates.rows.empty())
        continue;
      const std::string candidates = json_candidates(cell->candidates, cell->feasible, budget);
      const std::string picks = json_picks(*cell);
      const std::string stem = "figures/" + g.file_stem() + "--" + slug(profile);
      const std::string head =
          ",\"candidates\":" + candidates + ",\"budget\":" + budget_json + ",\"picks\":" + picks;
      const std::string owner = names(profile);
      const std::string where = owner + ", scenario " + g.title();
      add(g.title(), owner,
          "{\"kind\":\"space3d\",\"output\":" + text::json_quote(stem + "--space" + ext) +
              ",\"title\":" + text::json_quote(where) + head +
              ",\"utopia\":{\"cost\":0,\"latency\":0,\"accuracy\":1}}",
          stem + "--space" + ext, where + ": feasible space, coloured by cube volume");
      add(g.title(), owner,
          "{\"kind\":\"accuracy\",\"output\":" + text::json_quote(stem + "--accuracy" + ext) +
              ",\"title\":" + text::json_quote(where) + head + "}",
          stem + "--accuracy" + ext, where + ": accuracy against k");
      add(g.title(), owner,
          "{\"kind\":\"cost-latency\",\"output\":" +
              text::json_quote(stem + "--cost-latency" + ext) +
              ",\"title\":" + text::json_quote(where) + head + "}",
          stem + "--cost-latency" + ext, where + ": cost and latency against k");
    }
  }
  plan.json = "{\"kcube_plot\":1,\"format\":" + text::json_quote(plot.format) +
              ",\"dpi\":" + std::to_string(plot.dpi) + ",\"figures\":[\n" + figures + "\n]}\n";
  return plan;
}

// Runs argv, waits; returns the exit status (127 when it cannot be started) and its stderr.
std::pair<int, std::string> run_process(const std::vector<std::string>& argv) {
  int err[2];
  if (::pipe(err) != 0)
    return {127, "cannot create a pipe"};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err[0]);
    ::close(err[1]);
    return {127, "cannot fork"};
  }
  if (pid == 0) {
    ::dup2(err[1], 2);
    ::close(err[0]);
    ::close(err[1]);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0)
      ::dup2(null, 1);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(err[1]);
  std::string messages;
  char buffer[4096];
  for (ssize_t n; (n = ::read(err[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    messages.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, messages};
}

std::string python_interpreter(const PlotOptions& plot) {
  if (!plot.python.empty())
    return plot.python;
  if (const char* env = std::getenv("KCUBE_PYTHON"); env != nullptr && *env != '\0')
    return env;
  // Debian's interpreter has Debian's matplotlib; a python3 earlier on PATH (pyenv, venv) may
  // not.
  if (::access("/usr/bin/python3", X_OK) == 0)
    return "/usr/bin/python3";
  return "python3";
}

fs::path plot_script(const PlotOptions& plot) {
  if (!plot.script.empty())
    return plot.script;
  if (const char* env = std::getenv("KCUBE_PLOT_SCRIPT"); env != nullptr && *env != '\0')
    return env;
  // kcube's private folder next to libkcube (lib/kcube/, beside plugins/), in the build tree
  // and in an install.
  return boost::dll::this_line_location().parent_path() / "kcube" / "kcube_plot.py";
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      return line;
  return "no message";
}

std::string last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  if (lines.size() > n)
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  return text::join(lines, "\n");
}

// Draws the planned figures; returns the note for ReportFiles::figures_note ("" when all drawn)
// and sets `failed` when the plotting tool is there but did not do its job.
std::string draw_figures(const FigurePlan& plan, const fs::path& out_dir, const PlotOptions& plot,
                         bool& failed) {
  failed = false;
  const std::string python = python_interpreter(plot);
  const fs::path script = plot_script(plot);
  const std::string install =
      "install matplotlib (Debian: sudo apt-get install python3-matplotlib python3-numpy, or "
      "run tools/setup.sh), or point KCUBE_PYTHON at a Python that has it; then run kcube "
      "report again";
  if (!fs::is_regular_file(script))
    return "figures not drawn: the plotting script '" + script.string() +
           "' is missing (set KCUBE_PLOT_SCRIPT to tools/kcube_plot.py of the kcube sources)";
  const auto [check, check_messages] = run_process({python, script.string(), "--check"});
  if (check != 0)
    return "figures not drawn: " + python + " cannot draw them (" +
           (check == 127 ? "it cannot be run" : first_line(check_messages)) + "); " + install;
  const fs::path data = out_dir / "figures" / "plot-data.json";
  {
    std::ofstream out(data, std::ios::binary);
    out << plan.json;
    out.close();
    if (!out)
      throw RuntimeFailure("report: writing '" + data.string() + "' failed");
  }
  std::vector<std::string> argv = {python, script.string(), data.string(), "--root",
                                   out_dir.string()};
  if (plot.jobs > 0) {
    argv.push_back("--jobs");
    argv.push_back(std::to_string(plot.jobs));
  }
  const auto [code, messages] = run_process(argv);
  failed = true;
  if (code != 0)
    return "the plotting script failed (exit " + std::to_string(code) +
           "): " + last_lines(messages, 6);
  for (const auto& file : plan.files) {
    std::error_code ec;
    if (fs::file_size(out_dir / file, ec) == 0 || ec)
      return "the plotting script did not write '" + file + "'";
  }
  failed = false;
  return {};
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out)
    throw RuntimeFailure("report: cannot write '" + path.string() + "'");
  out << text;
  out.close();
  if (!out)
    throw RuntimeFailure("report: writing '" + path.string() + "' failed (disk full?)");
}

}  // namespace

ReportFiles write_report(ResultStore& store, std::optional<std::int64_t> run_id,
                         const fs::path& out_dir, const PluginRegistry& registry,
                         const PlotOptions& plot) {
  if (plot.format != "png" && plot.format != "svg")
    throw Error("kcube report: the figure format must be png or svg, got '" + plot.format + "'");
  const StoredRun run = store.load_run(run_id);
  std::error_code ec;
  fs::create_directories(out_dir / "tables", ec);
  if (!ec)
    fs::create_directories(out_dir / "figures", ec);
  if (ec)
    throw Error("kcube report: cannot create the report folder '" + out_dir.string() +
                "': " + ec.message() + "; choose another --out");

  ReportFiles files;
  const Index index(run);
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
  const auto sweeps = sweep_summaries(index);
  std::map<std::string, GroupPool> pools;
  for (const Group& g : index.groups)
    pools.emplace(g.title(), make_pool(index, g));

  // Figures first, so that the sweep summary can show its own; the tables are written whether
  // or not they could be drawn.
  FigurePlan plan;
  if (plot.enabled) {
    plan = plan_figures(index, names, plugins, pools, sweeps, plot);
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
  doc.paragraph("Store " + store.path() + ". Generated by kcube report from the stored results; " +
                "every table is also in tables/ as CSV at full precision.");
  // First: the plugins it cannot re-create as the run used them (plugin_records.hpp).
  if (const auto problems = recorded_plugin_problems(run.context.plugins, registry);
      !problems.empty()) {
    doc.heading(2, "Warning: plugins of this run");
    doc.bullets(problems);
  }
  context_section(doc, index);
  sweep_section(doc, index, names, sweeps, drawn ? &plan.by_sweep : nullptr);
  picks_section(doc, index, names, exact);
  if (index.replications > 1 && run.context.evaluator != "exact") {
    const auto entries = stability_entries(index, exact);
    stability_section(doc, index, names, entries, !exact.empty());
    sampling_section(doc, store, index, entries, plugins, notes);
  }
  cross_model_section(doc, index, names, plugins, pools);
  errors_section(doc, index, names);

  if (drawn) {
    doc.heading(2, "Figures");
    doc.paragraph(
        "Per scenario: every profile's candidates in the (cost, accuracy) plane with the "
        "cross-model Pareto set circled. Per profile: the feasible space (each k a point, "
        "coloured by cube volume where feasible, with the budget box, each rule's pick and the "
        "utopia point), accuracy against k (bands: 2.5-97.5 % of requests and the 95 % "
        "confidence interval of the mean; feasible k shaded), and cost and latency against k "
        "with the budget lines. Replication 0.");
    for (const Group& g : index.groups) {
      const auto it = plan.by_group.find(g.title());
      if (it == plan.by_group.end())
        continue;
      doc.heading(3, "Figures: scenario " + g.title());
      // The fronts first, then one row of three per profile.
      std::vector<DocFigure> block;
      std::string current;
      for (const GroupFigure& f : it->second) {
        if (f.owner != current && !block.empty()) {
          doc.figures(current, std::move(block));
          block.clear();
        }
        current = f.owner;
        block.push_back(f.figure);
      }
      if (!block.empty())
        doc.figures(current, std::move(block));
    }
  }

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
