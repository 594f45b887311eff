#include "manifest/loader.hpp"

#include <algorithm>
#include <span>

#include "engine/resources.hpp"
#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube::manifest_detail {

std::optional<std::size_t> Loader::find_use(std::size_t section, const std::string& name,
                                            const std::string& where, const std::string& path) {
  if (const auto found = use_index_[section].find(name); found != use_index_[section].end())
    return found->second;
  const std::vector<RawUse>& uses = uses_[section];
  // "Did you mean" costs an edit distance per name, so it is left out for very many names and
  // once more problems were found than are shown; the names defined are listed up to a few.
  std::string suggestion;
  if (uses.size() <= kMaxNamesSearched && problem_count_ < kMaxProblems) {
    std::vector<std::string> names;
    for (const auto& raw : uses)
      names.push_back(raw.use.name);
    suggestion = text::did_you_mean(name, names);
  }
  std::string defined = uses.empty() ? std::string("none") : std::string();
  for (std::size_t i = 0; i < uses.size() && i < kMaxNamesShown; ++i)
    defined += (i == 0 ? "" : ", ") + uses[i].use.name;
  if (uses.size() > kMaxNamesShown)
    defined += ", ... (" + std::to_string(uses.size()) + " in all)";
  problem(where, path,
          "no " + kSections[section] + " entry named '" + name + "'" + suggestion +
              "; defined: " + defined);
  return std::nullopt;
}

void Loader::validate_top() {
  const std::string root = root_where_.empty() ? root_file_.string() : root_where_;
  if (!version_.present) {
    if (version_.where.empty())
      problem(root, "kcube", "missing required key 'kcube'; add 'kcube: 1' at the top");
  } else if (const auto v = parse_int(version_.text); !v || *v != kManifestVersion) {
    problem(version_.where, "kcube",
            "unsupported manifest format version '" + version_.text +
                "'; this kcube reads 'kcube: " + std::to_string(kManifestVersion) + "'");
  }
  if (!experiment_.present) {
    if (experiment_.where.empty())
      problem(root, "experiment",
              "missing required key 'experiment'; add e.g. 'experiment: my-study'");
  } else if (!text::is_kebab_case(experiment_.text)) {
    problem(experiment_.where, "experiment",
            "experiment name '" + experiment_.text +
                "' is not kebab-case; use lowercase letters, digits and '-', e.g. 'paper-2025'");
  } else {
    manifest_.experiment = experiment_.text;
  }
  manifest_.description = description_.text;
  if (store_.present && text::trim(store_.text).empty())
    problem(store_.where, "store", "empty store path; remove the key or name a file");
  manifest_.store = store_.present && !text::trim(store_.text).empty()
                        ? fs::path(std::string(text::trim(store_.text)))
                        : fs::path("results") / (manifest_.experiment + ".sqlite");
}

std::string Loader::run_value_problem(const std::string& key, const std::string& raw,
                                      RunSettings& run) const {
  const std::string value(text::trim(raw));
  const auto choice = [&](const std::vector<std::string>& choices) -> std::string {
    if (contains(choices, value))
      return {};
    return "'" + value + "' is not one of " + text::join(choices, ", ") +
           text::did_you_mean(value, choices);
  };
  if (key == "evaluator") {
    auto p = choice(evaluator_names());
    if (p.empty())
      run.evaluator = *parse_evaluator(value);
    return p;
  }
  if (key == "sampling") {
    auto p = choice({"nested", "independent"});
    if (p.empty())
      run.sampling = value == "nested" ? Sampling::nested : Sampling::independent;
    return p;
  }
  if (key == "seed") {
    const auto seed = parse_uint(value);
    if (!seed)
      return "expected an unsigned 64-bit integer, got '" + value + "'";
    run.seed = *seed;
    return {};
  }
  if (key == "threads") {  // the rule shared with --threads (resources.hpp)
    const ThreadCount count = parse_thread_count(value);
    run.threads = count.threads;
    return count.problem;
  }
  const auto number = parse_int(value);
  const std::int64_t minimum = key == "trials" ? 2 : key == "bootstrap" ? 0 : 1;
  const std::string expected = "an integer >= " + std::to_string(minimum);
  if (!number) {
    return "expected " + expected + ", got '" + value + "'" +
           (beyond_int64(value) ? ", which is outside the 64-bit integer range" : "");
  }
  if (*number < minimum) {
    return "must be " + expected + ", got " + value +
           (key == "bootstrap" ? " (0 turns the bootstrap off; 1000 to 2000 resamples give "
                                 "stable 95 % intervals)"
                               : "");
  }
  if (key == "trials")
    run.trials = *number;
  else if (key == "bootstrap")
    run.bootstrap = *number;
  else
    run.replications = *number;
  return {};
}

void Loader::validate_run() {
  for (const auto& [key, value] : run_) {
    auto p = run_value_problem(key, value.text, manifest_.run);
    if (!p.empty())
      problem(value.where, "run." + key, p);
  }
}

void Loader::validate_uses() {
  const std::string root = root_where_.empty() ? root_file_.string() : root_where_;
  for (std::size_t s = 0; s < kSections.size(); ++s) {
    if (uses_[s].empty() && s < 2) {
      problem(root, kSections[s],
              "no " + kSections[s] + " defined; add a '" + kSections[s] +
                  ":' section (or include a file with one)");
    }
    for (auto& raw : uses_[s]) {
      const std::string path = kSections[s] + "." + raw.use.name;
      std::shared_ptr<const LoadedPlugin> plugin;
      if (raw.has_plugin) {
        try {
          plugin = registry_.find(raw.use.plugin, kSectionKinds[s]);
        } catch (const Error& e) {
          problem(raw.plugin_where, path + ".plugin", e.what());
        }
      }
      plugins_[s].push_back(plugin);
      if (plugin == nullptr)
        continue;
      const ParamCheck check = check_params(plugin->schema(), raw.use.params);
      for (const auto& p : check.problems) {
        problem(p.where.empty() ? raw.params_where : p.where, path + ".params." + p.key,
                p.message + " (plugin " + plugin->label() + "); 'kcube plugins describe " +
                    raw.use.plugin + "' lists its parameters");
      }
    }
  }
  for (std::size_t s = 0; s < kSections.size(); ++s) {
    auto& target = s == 0   ? manifest_.profiles
                   : s == 1 ? manifest_.scenarios
                   : s == 2 ? manifest_.optimizers
                            : manifest_.aggregators;
    for (auto& raw : uses_[s])
      target.push_back(raw.use);
  }
}

void Loader::validate_sweep() {
  for (std::size_t a = 0; a < sweep_.size(); ++a) {
    RawAxis& raw = sweep_[a];
    const std::string& path = raw.axis.path;
    const std::string where = raw.axis.where;
    const auto parts = split(path, '.');
    const std::string spath = "sweep." + path;
    if (parts.front() == "run") {
      const std::string key = parts.size() == 2 ? parts[1] : "";
      if (!contains(kSweepableRunKeys, key)) {
        problem(where, spath,
                "'" + path + "' cannot be swept" + text::did_you_mean(key, kSweepableRunKeys) +
                    "; sweepable run settings: " + text::join(kSweepableRunKeys, ", "));
        continue;
      }
      for (std::size_t i = 0; i < raw.axis.values.size(); ++i) {
        RunSettings scratch;
        auto p = run_value_problem(key, raw.axis.values[i], scratch);
        if (!p.empty())
          problem(raw.value_wheres[i], spath, p);
      }
      manifest_.sweep.push_back(raw.axis);
      continue;
    }
    const auto section = section_index(parts.front());
    if (!section || parts.size() != 4 || parts[2] != "params") {
      std::vector<std::string> heads = kSections;
      heads.push_back("run");
      problem(where, spath,
              "'" + path + "' does not name a parameter" +
                  (section ? std::string() : text::did_you_mean(parts.front(), heads)) +
                  "; write SECTION.NAME.params.KEY (SECTION is profiles, scenarios, "
                  "optimizers or aggregators) or run.KEY");
      continue;
    }
    const auto found = find_use(*section, parts[1], where, spath);
    if (!found)
      continue;
    manifest_.sweep.push_back(raw.axis);
    const auto& plugin = plugins_[*section][*found];
    if (plugin == nullptr)
      continue;  // its plugin problem is reported already
    std::vector<std::string> keys;
    for (const auto& spec : plugin->schema())
      keys.emplace_back(spec.key);
    if (!contains(keys, parts[3])) {
      problem(where, spath,
              "plugin " + plugin->label() + " has no parameter '" + parts[3] + "'" +
                  text::did_you_mean(parts[3], keys) + "; it takes " +
                  (keys.empty() ? std::string("no parameters") : text::join(keys, ", ")));
      continue;
    }
    for (std::size_t i = 0; i < raw.axis.values.size(); ++i) {
      const RawParam one{parts[3], raw.axis.values[i], raw.value_wheres[i], {}};
      for (const auto& p : check_params(plugin->schema(), std::span(&one, 1)).problems) {
        if (p.key == parts[3] && !p.where.empty())
          problem(p.where, spath, p.message + " (plugin " + plugin->label() + ")");
      }
    }
  }
}

std::uint64_t times(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a)
    return UINT64_MAX;
  return a * b;
}

void Loader::count_cells() {
  std::vector<PluginUse> profiles, scenarios;
  for (const auto& raw : uses_[0])
    profiles.push_back(raw.use);
  for (const auto& raw : uses_[1])
    scenarios.push_back(raw.use);
  const std::uint64_t pairs = pair_count(profiles, scenarios);
  std::uint64_t cells = times(pairs, uses_[kAggregatorSection].size());
  std::string formula = (pairs == times(profiles.size(), scenarios.size())
                             ? std::to_string(profiles.size()) + " profile(s) x " +
                                   std::to_string(scenarios.size()) + " scenario(s)"
                             : std::to_string(pairs) + " (profile, scenario) pair(s)") +
                        " x " + std::to_string(uses_[kAggregatorSection].size()) + " aggregator(s)";
  // Every name under a scenario's profiles: must be a profile of the manifest.
  std::vector<std::string> names;
  for (const auto& p : profiles)
    names.push_back(p.name);
  for (const auto& raw : uses_[1]) {
    for (std::size_t i = 0; i < raw.use.profiles.size(); ++i) {
      const std::string& name = raw.use.profiles[i];
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        problem(raw.profile_wheres[i], "scenarios." + raw.use.name + ".profiles",
                "no profile is named '" + name + "'" + text::did_you_mean(name, names) +
                    "; the profiles are " + text::join(names, ", "));
      }
    }
  }
  for (const auto& raw : sweep_) {
    cells = times(cells, raw.axis.values.size());
    formula += " x " + std::to_string(raw.axis.values.size()) + " (" + raw.axis.path + ")";
  }
  const auto replications =
      static_cast<std::uint64_t>(std::max<std::int64_t>(1, manifest_.run.replications));
  cells = times(cells, replications);
  formula += " x " + std::to_string(replications) + " replication(s)";
  manifest_.cell_count = cells;
  if (cells > max_cells_) {
    const std::string where = !sweep_.empty()       ? sweep_.front().axis.where
                              : root_where_.empty() ? root_file_.string()
                                                    : root_where_;
    problem(where, sweep_.empty() ? "run.replications" : "sweep",
            "the experiment has " +
                (cells == UINT64_MAX ? std::string("more than 1.8e19") : std::to_string(cells)) +
                " cells (" + formula + "), more than --max-cells " + std::to_string(max_cells_) +
                "; shrink the sweep or raise --max-cells");
  }
}

}  // namespace kcube::manifest_detail
