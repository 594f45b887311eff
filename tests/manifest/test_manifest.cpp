// Loading valid manifests: includes, defaults, overrides, sweep expansion, fingerprints.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "host/spec.hpp"
#include "kcube/scenario.hpp"
#include "manifest/manifest.hpp"
#include "manifest_test_support.hpp"
#include "temp_dir.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;
using kcube::load_manifest;
using kcube::test::builtin_registry;
using kcube::test::kBase;
using kcube::test::write_file;

namespace {

const fs::path kData = KCUBE_TEST_MANIFEST_DATA;

std::string param(const kcube::PluginUse& use, const std::string& key) {
  for (const auto& p : use.params) {
    if (p.key == key)
      return p.value;
  }
  return "(absent)";
}

std::string param_where(const kcube::PluginUse& use, const std::string& key) {
  for (const auto& p : use.params) {
    if (p.key == key)
      return p.where;
  }
  return "(absent)";
}

// Copies the valid fixture into a scratch folder so a test may edit it.
fs::path copy_valid(const kcube::test::TempDir& dir) {
  fs::copy(kData / "valid", dir.path() / "valid", fs::copy_options::recursive);
  return dir.path() / "valid" / "paper.yaml";
}

}  // namespace

TEST_CASE("each evaluator has one name, read back as the same evaluator") {
  for (const auto evaluator : {kcube::Evaluator::monte_carlo, kcube::Evaluator::exact})
    CHECK(kcube::parse_evaluator(kcube::to_string(evaluator)) == evaluator);
  CHECK(kcube::to_string(kcube::Evaluator::monte_carlo) == "monte-carlo");
  CHECK(kcube::to_string(kcube::Evaluator::exact) == "exact");
  CHECK_FALSE(kcube::parse_evaluator("Exact").has_value());
  CHECK(kcube::evaluator_names() == std::vector<std::string>{"monte-carlo", "exact"});
}

TEST_CASE("a manifest spread over nested includes loads every definition in load order") {
  const fs::path root = kData / "valid" / "paper.yaml";
  const auto m = load_manifest(root, {}, builtin_registry());
  CHECK(m.version == 1);
  CHECK(m.experiment == "paper-2025");
  CHECK(m.description == "Two profiles, two scenarios, a parallelism sweep.");
  REQUIRE(m.sources.size() == 4);
  CHECK(m.sources[0].path == root);
  CHECK(m.sources[1].path == kData / "valid" / "profiles.yaml");
  CHECK(m.sources[2].path == kData / "valid" / "scenarios" / "paper.yaml");
  CHECK(m.sources[3].path == kData / "valid" / "optimizers.yaml");
  CHECK(m.sources[1].text.find("large:") != std::string::npos);

  REQUIRE(m.profiles.size() == 2);
  CHECK(m.profiles[0].name == "small");
  CHECK(m.profiles[1].name == "large");
  CHECK(m.profiles[0].plugin == "gaussian");
  CHECK(param(m.profiles[1], "acc_mean") == "0.8");
  // "    params: {c_in: 1.0e-7" puts the value at line 4, column 20 of profiles.yaml.
  CHECK(param_where(m.profiles[0], "c_in") ==
        (kData / "valid" / "profiles.yaml").string() + ":4:20");
  CHECK(m.profiles[1].where == (kData / "valid" / "profiles.yaml").string() + ":5:3");
  REQUIRE(m.scenarios.size() == 2);
  CHECK(m.scenarios[0].name == "balanced");
  CHECK(param(m.scenarios[0], "latency_max") == "60");
  REQUIRE(m.optimizers.size() == 2);
  CHECK(m.optimizers[0].plugin == "knee-point");
  CHECK(m.optimizers[1].plugin == "accuracy-max");
  CHECK(m.optimizers[1].params.empty());

  CHECK(m.run.trials == 500);
  CHECK(m.run.seed == 7);
  CHECK(m.run.evaluator == kcube::Evaluator::monte_carlo);
  REQUIRE(m.sweep.size() == 2);
  CHECK(m.sweep[0].path == "scenarios.balanced.params.parallelism");
  CHECK(m.sweep[0].values == std::vector<std::string>{"1", "2", "4", "8"});
  CHECK(m.sweep[0].where == root.string() + ":10:3");
  CHECK(m.cell_count == 2 * 2 * 4 * 2);
  CHECK(m.store == fs::path("results/paper-2025.sqlite"));
  CHECK(m.sha256.size() == 64);
}

TEST_CASE("unset run settings and store take their documented defaults") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase);
  const auto m = load_manifest(dir.path() / "m.yaml", {}, builtin_registry());
  CHECK(m.run.evaluator == kcube::Evaluator::monte_carlo);
  CHECK(m.run.trials == 1000);
  CHECK(m.run.replications == 1);
  CHECK(m.run.seed == 42);
  CHECK(m.run.sampling == kcube::Sampling::nested);
  CHECK(m.run.threads == 0);
  CHECK(m.store == fs::path("results/t.sqlite"));
  CHECK(m.description.empty());
  CHECK(m.sweep.empty());
  CHECK(m.cell_count == 1);
  CHECK(m.sources.size() == 1);
}

TEST_CASE("every run setting is read, including threads as a number and a big seed") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml",
             kBase +
                 "run: {evaluator: exact, trials: 2, replications: 3, seed: 18446744073709551615,"
                 " sampling: independent, threads: 4}\nstore: out/x.sqlite\n");
  const auto m = load_manifest(dir.path() / "m.yaml", {}, builtin_registry());
  CHECK(m.run.evaluator == kcube::Evaluator::exact);
  CHECK(m.run.trials == 2);
  CHECK(m.run.replications == 3);
  CHECK(m.run.seed == 18446744073709551615ULL);
  CHECK(m.run.sampling == kcube::Sampling::independent);
  CHECK(m.run.threads == 4);
  CHECK(m.store == fs::path("out/x.sqlite"));
  CHECK(m.cell_count == 3);
}

TEST_CASE("overrides replace run settings and plugin params, and may add an omitted param") {
  const fs::path root = kData / "valid" / "paper.yaml";
  const auto m =
      load_manifest(root,
                    {"run.trials=300", "run.evaluator=exact", "run.threads=auto",
                     "scenarios.cheap.params.latency_max=5", "profiles.small.params.acc_mean=0.7",
                     "experiment=renamed", "optimizers.knee.params.method=curvature"},
                    builtin_registry());
  CHECK(m.run.trials == 300);
  CHECK(m.run.evaluator == kcube::Evaluator::exact);
  CHECK(m.run.threads == 0);
  CHECK(m.experiment == "renamed");
  CHECK(m.store == fs::path("results/renamed.sqlite"));
  CHECK(param(m.scenarios[1], "latency_max") == "5");
  CHECK(param_where(m.scenarios[1], "latency_max") ==
        "--set 'scenarios.cheap.params.latency_max=5'");
  CHECK(param(m.profiles[0], "acc_mean") == "0.7");
  CHECK(param(m.optimizers[0], "method") == "curvature");
  // The fingerprint is of the files, not of the overrides.
  CHECK(m.sha256 == load_manifest(root, {}, builtin_registry()).sha256);
}

TEST_CASE("an override value is validated like a file value") {
  const fs::path root = kData / "valid" / "paper.yaml";
  const std::string e =
      kcube::test::load_error(root, {"profiles.small.params.acc_mean=3", "run.trials=1"});
  CHECK(e.find("--set 'profiles.small.params.acc_mean=3': profiles.small.params.acc_mean") !=
        std::string::npos);
  CHECK(e.find("must be in [0, 1]") != std::string::npos);
  CHECK(e.find("--set 'run.trials=1': run.trials: must be an integer >= 2") != std::string::npos);
}

TEST_CASE("sweep expansion is the cartesian product, last axis fastest, with stable labels") {
  const auto m = load_manifest(kData / "valid" / "paper.yaml", {}, builtin_registry());
  const auto points = kcube::expand_sweep(m);
  REQUIRE(points.size() == 8);
  CHECK(points[0].label == "scenarios.balanced.params.parallelism=1,run.sampling=nested");
  CHECK(points[1].label == "scenarios.balanced.params.parallelism=1,run.sampling=independent");
  CHECK(points[2].label == "scenarios.balanced.params.parallelism=2,run.sampling=nested");
  CHECK(points[7].label == "scenarios.balanced.params.parallelism=8,run.sampling=independent");
  REQUIRE(points[5].assignments.size() == 2);
  CHECK(points[5].assignments[0].path == "scenarios.balanced.params.parallelism");
  CHECK(points[5].assignments[0].value == "4");
  CHECK(points[5].assignments[1].value == "independent");
  CHECK(points.size() * m.profiles.size() * m.scenarios.size() * 1 == m.cell_count);
}

TEST_CASE("a manifest without a sweep expands to one empty point") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase);
  const auto m = load_manifest(dir.path() / "m.yaml", {}, builtin_registry());
  const auto points = kcube::expand_sweep(m);
  REQUIRE(points.size() == 1);
  CHECK(points[0].assignments.empty());
  CHECK(points[0].label.empty());
}

TEST_CASE("applying a sweep point sets the plugin param and the run setting of that cell") {
  const auto m = load_manifest(kData / "valid" / "paper.yaml", {}, builtin_registry());
  const auto points = kcube::expand_sweep(m);
  const auto cell = kcube::apply_sweep_point(m, points[5]);  // parallelism=4, independent
  CHECK(param(cell.scenarios[0], "parallelism") == "4");
  CHECK(param(cell.scenarios[1], "parallelism") == "(absent)");  // only 'balanced' is swept
  CHECK(param(cell.scenarios[0], "cost_max") == "0.5");
  CHECK(cell.run.sampling == kcube::Sampling::independent);
  CHECK(cell.run.trials == 500);
  CHECK(cell.sweep.empty());
  CHECK(cell.cell_count == 4);
  // The concrete params are accepted by the plugin.
  kcube::PluginSpec spec{"budget", cell.scenarios[0].plugin, cell.scenarios[0].params};
  const auto scenario = builtin_registry().create<kcube::Scenario>(spec);
  CHECK(kcube::get_int(scenario.params(), "parallelism") == 4);
}

TEST_CASE("the sha256 changes when any included file changes, and only then") {
  kcube::test::TempDir dir;
  const fs::path root = copy_valid(dir);
  const std::string before = load_manifest(root, {}, builtin_registry()).sha256;
  CHECK(load_manifest(root, {}, builtin_registry()).sha256 == before);

  // Deepest include (reached through scenarios/paper.yaml): a comment changes the hash.
  const fs::path optimizers = root.parent_path() / "optimizers.yaml";
  write_file(optimizers, kcube::test::edit(
                             [&] {
                               std::ifstream in(optimizers);
                               return std::string(std::istreambuf_iterator<char>(in), {});
                             }(),
                             "optimizers:", "# edited\noptimizers:"));
  const std::string after_include = load_manifest(root, {}, builtin_registry()).sha256;
  CHECK(after_include != before);

  // The root file.
  std::ifstream in(root);
  const std::string root_text(std::istreambuf_iterator<char>(in), {});
  write_file(root, root_text + "# edited\n");
  CHECK(load_manifest(root, {}, builtin_registry()).sha256 != after_include);
}

TEST_CASE("the sha256 is the root text, then each include's root-relative name and text") {
  const auto m = load_manifest(kData / "valid" / "paper.yaml", {}, builtin_registry());
  kcube::Sha256 hash;
  hash.update(m.sources[0].text);
  for (std::size_t i = 1; i < m.sources.size(); ++i) {
    hash.update(m.sources[i].name);
    hash.update(m.sources[i].text);
  }
  CHECK(m.sha256 == hash.hex());
  CHECK(m.sha256 != kcube::sha256_hex(m.sources[0].text));
  CHECK(m.sources[0].name == "paper.yaml");
  CHECK(m.sources[2].name == "scenarios/paper.yaml");
  CHECK(m.sources[3].name == "optimizers.yaml");
}

TEST_CASE("the sha256 does not depend on how the root path is spelt or the current folder") {
  const fs::path valid = kData / "valid";
  const std::string direct = load_manifest(valid / "paper.yaml", {}, builtin_registry()).sha256;
  CHECK(load_manifest(valid / "scenarios" / ".." / "paper.yaml", {}, builtin_registry()).sha256 ==
        direct);
  const fs::path before = fs::current_path();
  fs::current_path(valid);
  const auto relative = load_manifest("paper.yaml", {}, builtin_registry());
  fs::current_path(before);
  CHECK(relative.sha256 == direct);
  CHECK(relative.sources[1].path == fs::path("profiles.yaml"));
}

TEST_CASE("a file included twice without a cycle is read once") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "opt.yaml", "optimizers:\n  o: {plugin: knee-point}\n");
  write_file(dir.path() / "a.yaml", "include: [opt.yaml]\n");
  write_file(dir.path() / "m.yaml",
             kcube::test::edit(kBase, "optimizers:\n  o: {plugin: knee-point}\n",
                               "include: [a.yaml, opt.yaml]\n"));
  const auto m = load_manifest(dir.path() / "m.yaml", {}, builtin_registry());
  CHECK(m.sources.size() == 3);
  CHECK(m.optimizers.size() == 1);
}

TEST_CASE("without an aggregators section a manifest has one implicit max-accuracy aggregator") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase);
  const auto m = load_manifest(dir.path() / "m.yaml", {}, builtin_registry());
  REQUIRE(m.aggregators.size() == 1);
  CHECK(m.aggregators[0].name == "max-accuracy");
  CHECK(m.aggregators[0].plugin == "max-accuracy");
  CHECK(m.aggregators[0].params.empty());
  CHECK(m.cell_count == 1);
  // The implicit entry may be set like a written one.
  const auto set = load_manifest(
      dir.path() / "m.yaml",
      {"aggregators.max-accuracy.plugin=esc", "aggregators.max-accuracy.params.window=3"},
      builtin_registry());
  CHECK(set.aggregators[0].plugin == "esc");
  CHECK(param(set.aggregators[0], "window") == "3");
}

TEST_CASE(
    "aggregators are read like optimizers: includes, --set, sweeps, and they multiply cells") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "more.yaml", "aggregators:\n  vote: {plugin: majority-vote}\n");
  write_file(dir.path() / "m.yaml", kBase +
                                        "include: [more.yaml]\n"
                                        "aggregators:\n"
                                        "  early: {plugin: esc, params: {window: 4}}\n"
                                        "run: {replications: 2}\n"
                                        "sweep: {aggregators.early.params.window: [2, 3, 5]}\n");
  const auto m = load_manifest(dir.path() / "m.yaml", {"aggregators.vote.plugin=pass-at-k"},
                               builtin_registry());
  REQUIRE(m.aggregators.size() == 2);
  CHECK(m.aggregators[0].name == "early");
  CHECK(m.aggregators[1].name == "vote");
  CHECK(m.aggregators[1].plugin == "pass-at-k");
  // 1 profile x 1 scenario x 2 aggregators x 3 sweep points x 2 replications.
  CHECK(m.cell_count == 12);
  const auto points = kcube::expand_sweep(m);
  REQUIRE(points.size() == 3);
  const auto at = kcube::apply_sweep_point(m, points[1]);
  CHECK(param(at.aggregators[0], "window") == "3");
  CHECK(at.cell_count == 4);
}

TEST_CASE("an aggregator entry of another kind, or an unknown aggregator param, is refused") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase +
                                        "aggregators:\n"
                                        "  a: {plugin: knee-point}\n"
                                        "  b: {plugin: esc, params: {windw: 3}}\n");
  const std::string e = kcube::test::load_error(dir.path() / "m.yaml");
  CHECK(e.find("aggregators.a.plugin") != std::string::npos);
  CHECK(e.find("aggregators.b.params.windw") != std::string::npos);
  CHECK(e.find("did you mean 'window'") != std::string::npos);
  const std::string sweep =
      kcube::test::load_error(dir.path() / "m.yaml", {"aggregators.nope.params.window=3"});
  CHECK(sweep.find("no aggregators entry named 'nope'") != std::string::npos);
}

TEST_CASE("a scenario's profiles: pairs it with those profiles only, in cells and the plan") {
  kcube::test::TempDir dir;
  const std::string two_profiles =
      kcube::test::edit(kBase, "scenarios:\n",
                        "  q:\n"
                        "    plugin: gaussian\n"
                        "    params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01, "
                        "acc_mean: 0.6, acc_std: 0.1}\n"
                        "scenarios:\n"
                        "  only-q: {plugin: budget, profiles: q}\n"
                        "  both: {plugin: budget, profiles: [p, q]}\n");
  write_file(dir.path() / "m.yaml", two_profiles + "run: {replications: 2}\n");
  const auto m = load_manifest(dir.path() / "m.yaml", {}, builtin_registry());
  REQUIRE(m.scenarios.size() == 3);
  CHECK(m.scenarios[0].profiles == std::vector<std::string>{"q"});
  CHECK(m.scenarios[2].profiles.empty());  // s: every profile
  CHECK(kcube::pairs_with(m.scenarios[0], "q"));
  CHECK_FALSE(kcube::pairs_with(m.scenarios[0], "p"));
  CHECK(kcube::pairs_with(m.scenarios[2], "p"));
  // (s: p, q) + (only-q: q) + (both: p, q) = 5 pairs x 1 aggregator x 2 replications.
  CHECK(m.cell_count == 10);

  // A name that is not a profile, and the key on another section, are refused with where.
  write_file(dir.path() / "bad.yaml",
             kcube::test::edit(two_profiles, "profiles: [p, q]", "profiles: [p, qq]") +
                 "aggregators:\n  a: {plugin: esc, profiles: [p]}\n");
  const std::string e = kcube::test::load_error(dir.path() / "bad.yaml");
  CHECK(e.find("scenarios.both.profiles: no profile is named 'qq' (did you mean 'q'?)") !=
        std::string::npos);
  CHECK(e.find("aggregators.a.profiles: unknown key 'profiles'") != std::string::npos);
}
