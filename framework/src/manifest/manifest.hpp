// Private: the declarative experiment manifest (format version 1). Loading, includes, --set
// overrides, validation of everything against the plugin schemas, and sweep expansion.
//
//   kcube: 1                          # format version (required, must be 1)
//   experiment: paper-2025            # required, kebab-case
//   description: ...                  # optional
//   include: [profiles/x.yaml]        # optional, relative to the including file; included files
//                                     # hold only profiles/scenarios/optimizers/aggregators/
//                                     # include
//   profiles:   {NAME: {plugin: gaussian, params: {...}}}
//   scenarios:  {NAME: {plugin: budget, params: {...}, profiles: [P1, P2]}}  # profiles:
//                                     # optional, the profiles it pairs with (default all)
//   optimizers: {NAME: {plugin: knee-point, params: {...}}}
//   aggregators: {NAME: {plugin: majority-vote, params: {...}}}  # optional; without it (or
//                                     # with no entries) one entry kDefaultAggregator using the
//                                     # max-accuracy plugin, the paper's best-of-k
//   run: {evaluator: monte-carlo|exact, trials: 1000, replications: 1, seed: 42,
//         sampling: nested|independent, threads: auto|N, bootstrap: 0}
//   sweep: {scenarios.balanced.params.parallelism: [1, 2, 4, 8]}
//   store: results/paper-2025.sqlite  # default results/<experiment>.sqlite
//   plugin_path: [plugins, ../my-rule/build/plugins]  # optional, relative to the manifest file:
//                                     # folders or plugin files searched after --plugin-path
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/evaluator.hpp"
#include "host/param_validation.hpp"
#include "host/plugin_host.hpp"

namespace kcube {

/// The manifest format version this kcube reads.
inline constexpr int kManifestVersion = 1;

/// Default for load_manifest's `max_cells`.
inline constexpr std::uint64_t kDefaultMaxCells = 100000;

/// One file that made up a manifest, with its exact text.
struct ManifestSource {
  /// The path as it was reached (the root as given, includes relative to their includer).
  std::filesystem::path path;
  /// The path relative to the root file's folder ("profiles/paper.yaml"; the root's file name
  /// for the root), independent of the current folder: this is what the sha256 covers.
  std::string name;
  /// The file's bytes.
  std::string text;
};

/// A named use of a plugin: one profile, scenario, optimizer or aggregator of the manifest.
struct PluginUse {
  /// The name the manifest gives it ("balanced").
  std::string name;
  /// The plugin it uses ("budget").
  std::string plugin;
  /// Parameters as written (value text, `where` = "file:line:col" or "--set 'PATH=VALUE'"),
  /// with overrides applied; checked against the plugin's schema. Defaults are not filled in:
  /// pass them to PluginRegistry::create (via a PluginSpec) to get canonical Params.
  std::vector<RawParam> params;
  /// Where the entry was defined: "file:line:col".
  std::string where;
  /// Scenarios only: the profiles (by name) it is paired with, as written under `profiles:`;
  /// empty: every profile. A study of logs with different sample counts pairs each log with the
  /// scenario whose k_max it can serve.
  std::vector<std::string> profiles;
};

/// Whether `scenario` is paired with the profile named `profile` (PluginUse::profiles).
bool pairs_with(const PluginUse& scenario, const std::string& profile);

/// The (profile, scenario) pairs of the manifest's cells: each scenario with the profiles it is
/// paired with.
std::uint64_t pair_count(const std::vector<PluginUse>& profiles,
                         const std::vector<PluginUse>& scenarios);

/// The run: section, validated, defaults filled in.
struct RunSettings {
  /// How candidates are evaluated.
  Evaluator evaluator = Evaluator::monte_carlo;
  /// Monte Carlo trials per cell (>= 2).
  std::int64_t trials = 1000;
  /// Independent repeats of every cell with derived seeds (>= 1).
  std::int64_t replications = 1;
  /// Root seed.
  std::uint64_t seed = 42;
  /// Path scheme.
  Sampling sampling = Sampling::nested;
  /// OpenMP threads; 0 = auto.
  int threads = 0;
  /// Resamples of the questions of a sample log per cell (engine/bootstrap.hpp): intervals of
  /// every candidate and the share of resamples that pick each k; 0 = off.
  std::int64_t bootstrap = 0;
};

/// One sweep axis: a parameter path and the values it takes, in the order written.
struct SweepAxis {
  /// "scenarios.balanced.params.parallelism" or "run.trials".
  std::string path;
  /// Values as written (scalar text).
  std::vector<std::string> values;
  /// Where the axis was written: "file:line:col".
  std::string where;
};

/// A validated manifest. load_manifest never returns a partial one.
struct Manifest {
  /// The root file as given.
  std::filesystem::path file;
  /// The root file first, then every included file in load order (depth first, each file once).
  std::vector<ManifestSource> sources;
  /// Hex SHA-256 of the root text followed, for each included file, by its `name` (path
  /// relative to the root's folder, so the hash does not depend on the current folder) and its
  /// text. Overrides are not part of it.
  std::string sha256;
  /// `kcube:` (always kManifestVersion).
  int version = kManifestVersion;
  /// Kebab-case experiment name.
  std::string experiment;
  /// Free text, may be empty.
  std::string description;
  /// Definitions in the order met (root file first, then includes in load order).
  std::vector<PluginUse> profiles;
  std::vector<PluginUse> scenarios;
  std::vector<PluginUse> optimizers;
  /// At least one: the implicit kDefaultAggregator entry when the manifest defines none.
  std::vector<PluginUse> aggregators;
  /// The run settings.
  RunSettings run;
  /// Sweep axes in the order written; empty when there is no sweep.
  std::vector<SweepAxis> sweep;
  /// Result store: as written, or results/<experiment>.sqlite (relative to the current folder).
  std::filesystem::path store;
  /// plugin_path: each folder or plugin file, absolute (written relative to the root manifest's
  /// folder), in the order written; empty when the key is absent.
  std::vector<std::filesystem::path> plugin_path;
  /// profiles x scenarios x aggregators x product of sweep sizes x replications.
  std::uint64_t cell_count = 0;
};

/// Reads, overrides and validates a manifest. `overrides` are "PATH=VALUE" strings (--set),
/// applied after all files are read: kcube, experiment, description, store, run.KEY,
/// SECTION.NAME.plugin, SECTION.NAME.params.KEY (SECTION = profiles|scenarios|optimizers|
/// aggregators; the NAME must exist, the implicit `max-accuracy` aggregator included, a param may
/// be added even if the file omits it); include, sweep and
/// plugin_path cannot be set. Their `where` is "--set 'PATH=VALUE'".
///
/// Rules beyond the format comment above: profiles and scenarios must each define at least one
/// entry (optimizers may be empty; aggregators default as above); entry names are [A-Za-z0-9_-]+; a
/// file reached twice without a cycle is read once; sweep paths are SECTION.NAME.params.KEY (KEY in
/// the plugin's schema) or run.evaluator|trials|seed|sampling (replications and threads cannot be
/// swept); sweep lists are non-empty without repeated values; plugin_path (root file only) is one
/// path or a list of them, each an existing folder or file.
///
/// Every problem (YAML syntax, unknown or duplicate keys, types, version, names, includes and
/// cycles, plugins of an unknown or wrong kind and their parameters, sweep paths and values, a
/// cell count over `max_cells`, nesting deeper than 64, more than 1e6 nodes with aliases expanded,
/// invalid UTF-8, control bytes, files over 16 MiB) is collected and thrown as ONE kcube::Error,
/// "manifest 'FILE' has N problems:" then one line per problem, sorted by file and position:
/// "  file:line:col: key.path: what; how to fix" (at most 100 lines, then "... and N more").
Manifest load_manifest(const std::filesystem::path& file, const std::vector<std::string>& overrides,
                       const PluginRegistry& registry, std::uint64_t max_cells = kDefaultMaxCells);

/// The plugin_path: entries of the root manifest `file`, absolute, for discovering the plugins
/// before load_manifest() checks the manifest against them. The plugin search path is then:
/// --plugin-path, these, KCUBE_PLUGIN_PATH, the built-in folder. Reads only the root file; an
/// entry that is not valid (or a file that cannot be read or parsed) is left out without a word:
/// load_manifest() reports it with the manifest's other problems.
std::vector<std::filesystem::path> read_plugin_path(const std::filesystem::path& file);

/// One assignment of a sweep point.
struct SweepAssignment {
  std::string path;
  std::string value;
};

/// One point of the sweep's cartesian product.
struct SweepPoint {
  /// One assignment per axis, in axis order.
  std::vector<SweepAssignment> assignments;
  /// "scenarios.balanced.params.parallelism=4,run.trials=300"; "" for the single point of a
  /// manifest without a sweep.
  std::string label;
};

/// The points of the sweep: the cartesian product with the last axis varying fastest. A single
/// empty point when there is no sweep.
std::vector<SweepPoint> expand_sweep(const Manifest& manifest);

/// The manifest with `point` applied: each plugin parameter of the point replaces (or is added
/// to) the params of its profile/scenario/optimizer/aggregator, each run.* value replaces the run
/// setting. The sweep is cleared and cell_count recomputed. Values were validated by load_manifest.
Manifest apply_sweep_point(const Manifest& manifest, const SweepPoint& point);

/// The manifest's text as a run stores it (RunContext::manifest_text): the root file's text,
/// then for each included file, in load order, a line "# ---- included: NAME ----" and its text.
std::string stored_manifest_text(const Manifest& manifest);

/// The sweep points of a run, in plan order, re-expanded from its stored manifest text
/// (stored_manifest_text()): the root file's `sweep:` mapping, read as load_manifest() reads it,
/// then expand_sweep(). Needs no plugins, included files or overrides: a sweep is written in the
/// root file only and cannot be set with --set, and its paths and values were validated when
/// the run was made. Labels are those of the run's cells. A single empty point when the run has
/// no sweep. Throws kcube::Error, listing the problems, when the text is not a manifest's.
std::vector<SweepPoint> stored_sweep_points(const std::string& stored_text);

}  // namespace kcube
