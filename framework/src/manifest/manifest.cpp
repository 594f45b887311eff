#include "manifest/manifest.hpp"

#include <algorithm>

#include "manifest/loader.hpp"
#include "util/text.hpp"

namespace kcube {

namespace fs = std::filesystem;
using manifest_detail::Loader;
using manifest_detail::parse_int;
using manifest_detail::parse_uint;
using manifest_detail::split;
using manifest_detail::times;

Manifest load_manifest(const fs::path& file, const std::vector<std::string>& overrides,
                       const PluginRegistry& registry, std::uint64_t max_cells) {
  return Loader(registry, max_cells).load(file, overrides);
}

std::vector<fs::path> read_plugin_path(const fs::path& file) {
  const PluginRegistry none;
  return Loader(none, kDefaultMaxCells).plugin_path_only(file);
}

std::vector<SweepPoint> expand_sweep(const Manifest& manifest) {
  std::vector<SweepPoint> points(1);
  for (const auto& axis : manifest.sweep) {
    std::vector<SweepPoint> next;
    next.reserve(points.size() * axis.values.size());
    for (const auto& point : points) {
      for (const auto& value : axis.values) {
        SweepPoint extended = point;
        extended.assignments.push_back({axis.path, value});
        extended.label += (extended.label.empty() ? "" : ",") + axis.path + "=" + value;
        next.push_back(std::move(extended));
      }
    }
    points = std::move(next);
  }
  return points;
}

Manifest apply_sweep_point(const Manifest& manifest, const SweepPoint& point) {
  Manifest out = manifest;
  for (const auto& [path, value] : point.assignments) {
    const auto parts = split(path, '.');
    if (parts.front() == "run") {
      RunSettings& run = out.run;
      const std::string v(text::trim(value));
      if (parts[1] == "evaluator")
        run.evaluator = parse_evaluator(v).value_or(run.evaluator);
      else if (parts[1] == "sampling")
        run.sampling = v == "nested" ? Sampling::nested : Sampling::independent;
      else if (parts[1] == "seed")
        run.seed = parse_uint(v).value_or(run.seed);
      else if (parts[1] == "trials")
        run.trials = parse_int(v).value_or(run.trials);
      continue;
    }
    auto& uses = parts[0] == "profiles"     ? out.profiles
                 : parts[0] == "scenarios"  ? out.scenarios
                 : parts[0] == "optimizers" ? out.optimizers
                                            : out.aggregators;
    for (auto& use : uses) {
      if (use.name != parts[1])
        continue;
      const std::string where = "sweep '" + path + "=" + value + "'";
      auto it = std::find_if(use.params.begin(), use.params.end(),
                             [&](const RawParam& p) { return p.key == parts[3]; });
      // A swept path is relative to the root manifest, where the sweep is written.
      const std::string base = std::filesystem::absolute(out.file).parent_path().string();
      if (it == use.params.end())
        use.params.push_back({parts[3], value, where, base});
      else
        *it = {parts[3], value, where, base};
    }
  }
  out.sweep.clear();
  out.cell_count = times(times(pair_count(out.profiles, out.scenarios), out.aggregators.size()),
                         static_cast<std::uint64_t>(out.run.replications));
  return out;
}

bool pairs_with(const PluginUse& scenario, const std::string& profile) {
  return scenario.profiles.empty() || std::find(scenario.profiles.begin(), scenario.profiles.end(),
                                                profile) != scenario.profiles.end();
}

std::uint64_t pair_count(const std::vector<PluginUse>& profiles,
                         const std::vector<PluginUse>& scenarios) {
  std::uint64_t pairs = 0;
  for (const PluginUse& scenario : scenarios) {
    for (const PluginUse& profile : profiles)
      pairs += pairs_with(scenario, profile.name) ? 1 : 0;
  }
  return pairs;
}

namespace {
// Starts each included file's text in stored_manifest_text().
constexpr std::string_view kIncludedMark = "\n# ---- included: ";
}  // namespace

std::string stored_manifest_text(const Manifest& manifest) {
  std::string text;
  for (std::size_t i = 0; i < manifest.sources.size(); ++i) {
    if (i > 0)
      text += std::string(kIncludedMark) + manifest.sources[i].name + " ----\n";
    text += manifest.sources[i].text;
  }
  return text;
}

std::vector<SweepPoint> stored_sweep_points(const std::string& stored_text) {
  // The root file's text ends where the first included file's begins. A root file holding such a
  // line itself would lose its sweep here; the caller compares the labels with its cells'.
  const std::string root = stored_text.substr(0, stored_text.find(kIncludedMark));
  const PluginRegistry no_plugins;
  Manifest manifest;
  manifest.sweep = Loader(no_plugins, kDefaultMaxCells).read_sweep_of(root, "the run's manifest");
  return expand_sweep(manifest);
}

}  // namespace kcube
