// Private: the plan of a run, the cells of a manifest in the order they are run and stored:
// replications x sweep points x profiles x scenarios x aggregators, their seeds, and the shard of
// them one process runs (`kcube run --shard I/N`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/plugin_host.hpp"
#include "manifest/manifest.hpp"
#include "store/store.hpp"

namespace kcube {

/// One cell: profile x scenario x aggregator at one sweep point and replication.
struct Cell {
  /// Index in the run's plan (Plan::cells), stored as the cell's position.
  std::int64_t position = 0;
  std::int64_t replication = 0;
  /// Indices into Plan::points, and into the manifest's profiles, scenarios and aggregators.
  std::size_t point = 0;
  std::size_t profile = 0;
  std::size_t scenario = 0;
  std::size_t aggregator = 0;
  /// cell_key(profile, scenario, aggregator, sweep label, replication).
  std::string key;
};

/// `--shard I/N`: a process runs the cells whose plan position p has p % N == I - 1. Both 0 for
/// a whole run.
struct Shard {
  int index = 0;
  int count = 0;

  bool whole() const { return count == 0; }
  bool has(std::int64_t position) const {
    return whole() || position % count == static_cast<std::int64_t>(index) - 1;
  }
  /// "I/N".
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

/// Parses "I/N" (1 <= I <= N); throws kcube::Error saying what a shard is otherwise.
Shard parse_shard(const std::string& given);

/// Seed of replication r: the manifest's seed for r = 0 (so one replication reproduces
/// `kcube simulate --seed S`), a SplitMix64 derivation for the others. It is the root seed of
/// every random stream of the replication's cells (a stream is keyed by it, the cell's identity
/// and the trial).
std::uint64_t replication_seed(std::uint64_t seed, std::int64_t replication);

/// The manifest at each sweep point (apply_sweep_point), in the order of `points`.
std::vector<Manifest> point_manifests_of(const Manifest& m, const std::vector<SweepPoint>& points);

/// Every plugin the manifest names, for the run's context, in the order they first appear.
std::vector<PluginRecord> plugins_used(const PluginRegistry& registry, const Manifest& m);

/// The cells of a manifest, and which of them a shard runs.
struct Plan {
  Manifest manifest;
  std::vector<SweepPoint> points;
  /// The manifest at each point.
  std::vector<Manifest> point_manifests;
  /// The whole plan, by position: replications outermost, then sweep points, profiles,
  /// scenarios and aggregators (a manifest with one aggregator keeps the positions it had
  /// before aggregators existed).
  std::vector<Cell> cells;
  Shard shard;
  /// Cells of this shard (all cells for a whole run).
  std::size_t shard_cells = 0;
};

/// The plan of `m` for `shard`.
Plan plan_cells(Manifest m, Shard shard);

}  // namespace kcube
