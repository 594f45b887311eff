#include "run/plan.hpp"

#include <algorithm>
#include <string_view>

#include "kcube/error.hpp"

namespace kcube {

Shard parse_shard(const std::string& given) {
  const auto slash = given.find('/');
  const auto number = [&](std::string_view digits) -> long {
    if (digits.empty() || digits.size() > 6 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
      return -1;
    return std::stol(std::string(digits));
  };
  const long i = slash == std::string::npos ? -1 : number(std::string_view(given).substr(0, slash));
  const long n =
      slash == std::string::npos ? -1 : number(std::string_view(given).substr(slash + 1));
  if (i < 0 || n < 1) {
    throw Error("kcube run: --shard '" + given +
                "' is not I/N with whole numbers, e.g. --shard 2/8 runs the second of 8 shares");
  }
  if (i < 1 || i > n) {
    throw Error("kcube run: --shard " + given + ": shards are numbered 1 to " + std::to_string(n) +
                (i == 0
                     ? "; with a 0-based job array (e.g. Slurm --array=0-" + std::to_string(n - 1) +
                           ") pass $((SLURM_ARRAY_TASK_ID + 1))/" + std::to_string(n)
                     : std::string()));
  }
  return {static_cast<int>(i), static_cast<int>(n)};
}

std::uint64_t replication_seed(std::uint64_t seed, std::int64_t replication) {
  if (replication == 0)
    return seed;
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(replication);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<Manifest> point_manifests_of(const Manifest& m, const std::vector<SweepPoint>& points) {
  std::vector<Manifest> out;
  for (const auto& point : points)
    out.push_back(apply_sweep_point(m, point));
  return out;
}

std::vector<PluginRecord> plugins_used(const PluginRegistry& registry, const Manifest& m) {
  std::vector<PluginRecord> out;
  std::vector<std::string> seen;
  for (const auto* section : {&m.profiles, &m.scenarios, &m.optimizers, &m.aggregators}) {
    for (const PluginUse& use : *section) {
      if (std::find(seen.begin(), seen.end(), use.plugin) != seen.end())
        continue;
      seen.push_back(use.plugin);
      const auto plugin = registry.find(use.plugin);
      out.push_back({use.plugin, std::string(to_string(plugin->kind())),
                     plugin->descriptor().version, plugin->file().string(), plugin->file_sha256()});
    }
  }
  return out;
}

Plan plan_cells(Manifest m, Shard shard) {
  Plan plan;
  plan.manifest = std::move(m);
  plan.shard = shard;
  const Manifest& pm = plan.manifest;
  plan.points = expand_sweep(pm);
  plan.point_manifests = point_manifests_of(pm, plan.points);
  for (std::int64_t r = 0; r < pm.run.replications; ++r) {
    for (std::size_t p = 0; p < plan.points.size(); ++p) {
      for (std::size_t i = 0; i < pm.profiles.size(); ++i) {
        for (std::size_t s = 0; s < pm.scenarios.size(); ++s) {
          if (!pairs_with(pm.scenarios[s], pm.profiles[i].name))
            continue;
          for (std::size_t a = 0; a < pm.aggregators.size(); ++a) {
            plan.cells.push_back(
                {static_cast<std::int64_t>(plan.cells.size()), r, p, i, s, a,
                 cell_key(pm.profiles[i].name, pm.scenarios[s].name, pm.aggregators[a].name,
                          plan.points[p].label, static_cast<int>(r))});
          }
        }
      }
    }
  }
  plan.shard_cells = static_cast<std::size_t>(std::count_if(
      plan.cells.begin(), plan.cells.end(), [&](const Cell& c) { return shard.has(c.position); }));
  return plan;
}

}  // namespace kcube
