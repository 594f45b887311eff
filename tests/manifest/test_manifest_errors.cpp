// Bad manifests: every mistake is reported with file:line:col, key path and a fix, all at once.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "manifest/manifest.hpp"
#include "manifest_test_support.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using kcube::test::edit;
using kcube::test::kBase;
using kcube::test::load_error;
using kcube::test::write_file;

namespace {

const fs::path kData = KCUBE_TEST_MANIFEST_DATA;

bool has(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

struct BadCase {
  const char* name;
  std::string text;
  int line;          // 1-based line the error must name
  const char* path;  // key path the error must name
  const char* phrase;
};

std::vector<BadCase> bad_cases() {
  const std::string run = kBase + "run: ";
  const std::string sweep = kBase + "sweep:\n  ";
  return {
      {"format version other than 1", edit(kBase, "kcube: 1", "kcube: 2"), 1, "kcube",
       "unsupported manifest format version '2'"},
      {"missing format version", edit(kBase, "kcube: 1\n", ""), 1, "kcube",
       "missing required key 'kcube'; add 'kcube: 1'"},
      {"experiment not kebab-case", edit(kBase, "experiment: t", "experiment: Paper_2025"), 2,
       "experiment", "is not kebab-case"},
      {"missing experiment", edit(kBase, "experiment: t\n", ""), 1, "experiment",
       "missing required key 'experiment'"},
      {"misspelt top-level key", edit(kBase, "experiment: t", "experimnt: t"), 2, "experimnt",
       "unknown key 'experimnt' (did you mean 'experiment'?)"},
      {"misspelt run key", run + "{trails: 10}\n", 13, "run.trails", "(did you mean 'trials'?)"},
      {"trials not a number", run + "{trials: many}\n", 13, "run.trials",
       "expected an integer >= 2, got 'many'"},
      {"trials below 2", run + "{trials: 1}\n", 13, "run.trials", "must be an integer >= 2"},
      {"unknown evaluator", run + "{evaluator: montecarlo}\n", 13, "run.evaluator",
       "(did you mean 'monte-carlo'?)"},
      {"unknown sampling", run + "{sampling: nest}\n", 13, "run.sampling",
       "is not one of nested, independent"},
      {"negative seed", run + "{seed: -1}\n", 13, "run.seed", "unsigned 64-bit integer"},
      {"zero threads", run + "{threads: 0}\n", 13, "run.threads",
       "'auto' or an integer in [1, 1024], got 0"},
      {"too many threads", run + "{threads: 100000}\n", 13, "run.threads",
       "'auto' or an integer in [1, 1024], got 100000"},
      {"zero replications", run + "{replications: 0}\n", 13, "run.replications",
       "must be an integer >= 1"},
      {"run not a mapping", kBase + "run: 5\n", 13, "run", "expected a mapping of run settings"},
      {"misspelt plugin", edit(kBase, "plugin: gaussian", "plugin: gausian"), 5,
       "profiles.p.plugin", "(did you mean 'gaussian'?)"},
      {"plugin of the wrong kind", edit(kBase, "plugin: gaussian", "plugin: budget"), 5,
       "profiles.p.plugin", "model-profile plugin is needed here"},
      {"misspelt plugin parameter", edit(kBase, "acc_mean: 0.5", "acc_men: 0.5"), 6,
       "profiles.p.params.acc_men", "(did you mean 'acc_mean'?)"},
      {"parameter out of bounds", edit(kBase, "acc_mean: 0.5", "acc_mean: 2"), 6,
       "profiles.p.params.acc_mean", "must be in [0, 1], got 2"},
      {"parameter of the wrong type", edit(kBase, "cost_max: 1", "cost_max: cheap"), 10,
       "scenarios.s.params.cost_max", "expected a number (float), got 'cheap'"},
      {"missing required parameter", edit(kBase, ", acc_std: 0.1", ""), 6,
       "profiles.p.params.acc_std", "missing required parameter 'acc_std'"},
      {"enumeration parameter misspelt",
       edit(kBase, "{plugin: knee-point}", "{plugin: knee-point, params: {method: chrod}}"), 12,
       "optimizers.o.params.method", "(did you mean 'chord'?)"},
      {"duplicate top-level key", kBase + "experiment: u\n", 13, "experiment",
       "key 'experiment' is given twice (first at line 2)"},
      {"duplicate parameter key", edit(kBase, "{cost_max: 1}", "{cost_max: 1, cost_max: 2}"), 10,
       "scenarios.s.params.cost_max", "given twice (first at line 10)"},
      {"params not a mapping", edit(kBase, "params: {cost_max: 1}", "params: [1]"), 10,
       "scenarios.s.params", "expected a mapping KEY: VALUE"},
      {"parameter value a list", edit(kBase, "{cost_max: 1}", "{cost_max: [1, 2]}"), 10,
       "scenarios.s.params.cost_max", "expected a single value, got a list"},
      {"misspelt entry key", edit(kBase, "{plugin: knee-point}", "{plugn: knee-point}"), 12,
       "optimizers.o.plugn", "(did you mean 'plugin'?)"},
      {"entry name with a dot", edit(kBase, "  p:", "  p.x:"), 4, "profiles.p.x",
       "may hold only letters, digits"},
      {"no profiles",
       edit(kBase, "profiles:\n  p:\n    plugin: gaussian\n", "p:\n  q:\n    plugin: gaussian\n"),
       1, "profiles", "no profiles defined"},
      {"empty store path", kBase + "store: \"\"\n", 13, "store", "empty store path"},
      {"missing include", kBase + "include: [nope.yaml]\n", 13, "include",
       "nope.yaml' does not exist"},
      {"sweep of a misspelt parameter", sweep + "scenarios.s.params.paralelism: [1, 2]\n", 14,
       "sweep.scenarios.s.params.paralelism", "(did you mean 'parallelism'?)"},
      {"sweep of an undefined entry", sweep + "scenarios.x.params.parallelism: [1, 2]\n", 14,
       "sweep.scenarios.x.params.parallelism", "no scenarios entry named 'x'"},
      {"sweep of a non-parameter", sweep + "scenarios.s.plugin: [budget]\n", 14,
       "sweep.scenarios.s.plugin", "does not name a parameter"},
      {"empty sweep list", sweep + "scenarios.s.params.parallelism: []\n", 14,
       "sweep.scenarios.s.params.parallelism", "empty list of values"},
      {"sweep value out of bounds", sweep + "scenarios.s.params.parallelism: [1, 0]\n", 14,
       "sweep.scenarios.s.params.parallelism", "must be in [1, 1048576], got 0"},
      {"sweep of replications", sweep + "run.replications: [1, 2]\n", 14, "sweep.run.replications",
       "cannot be swept"},
      {"sweep of a misspelt run setting", sweep + "run.trails: [10, 20]\n", 14, "sweep.run.trails",
       "(did you mean 'trials'?)"},
      {"sweep run value invalid", sweep + "run.trials: [10, 1]\n", 14, "sweep.run.trials",
       "must be an integer >= 2"},
      {"repeated sweep value", sweep + "run.trials: [10, 10]\n", 14, "sweep.run.trials",
       "value '10' appears twice"},
      {"sweep not a list", sweep + "run.trials: 10\n", 14, "sweep.run.trials",
       "expected a list of values"},
      {"second YAML document", kBase + "---\nkcube: 1\n", 14, "", "second YAML document"},
      {"not a mapping at all", "- kcube\n- 1\n", 1, "", "expected a mapping of keys"},
      {"unclosed flow mapping", edit(kBase, "{cost_max: 1}", "{cost_max: 1"), 11, "",
       "YAML syntax error"},
      {"tab indentation", edit(kBase, "    plugin: budget", "\tplugin: budget"), 9, "",
       "YAML syntax error"},
      {"invalid UTF-8", edit(kBase, "experiment: t", "experiment: caf\xC3("), 2, "",
       "invalid UTF-8"},
  };
}

}  // namespace

TEST_CASE("each bad manifest is reported with file, line, key path and a useful phrase") {
  const auto cases = bad_cases();
  CHECK(cases.size() >= 25);
  kcube::test::TempDir dir;
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const fs::path file = dir.path() / "bad.yaml";
    write_file(file, c.text);
    const std::string e = load_error(file);
    CAPTURE(e);
    CHECK(has(e, "manifest '" + file.string() + "' has "));
    CHECK(has(e, "\n  " + file.string() + ":" + std::to_string(c.line) + ":"));
    if (*c.path != '\0')
      CHECK(has(e, ": " + std::string(c.path) + ": "));
    CHECK(has(e, c.phrase));
  }
}

TEST_CASE("five different mistakes are reported together, one line each") {
  kcube::test::TempDir dir;
  std::string text = edit(kBase, "kcube: 1", "kcube: 3");
  text = edit(text, "experiment: t", "experiment: Bad_Name");
  text = edit(text, "acc_mean: 0.5", "acc_mean: 2");
  text = edit(text, "cost_max: 1", "cost_max: cheap");
  text += "run: {trails: 5}\n";
  write_file(dir.path() / "five.yaml", text);
  const std::string e = load_error(dir.path() / "five.yaml");
  CAPTURE(e);
  CHECK(has(e, "has 5 problems:"));
  CHECK(kcube::test::problem_lines(e) == 5);
  const std::string f = (dir.path() / "five.yaml").string();
  CHECK(has(e, f + ":1:8: kcube: "));
  CHECK(has(e, f + ":2:13: experiment: "));
  CHECK(has(e, f + ":6:75: profiles.p.params.acc_mean: "));
  CHECK(has(e, f + ":10:24: scenarios.s.params.cost_max: "));
  CHECK(has(e, f + ":13:7: run.trails: "));
  // Sorted by position: the version line comes first, the run line last.
  CHECK(e.find(":1:8: kcube") < e.find(":2:13: experiment"));
  CHECK(e.find(":10:24: scenarios") < e.find(":13:7: run.trails"));
}

TEST_CASE("plugin parameter problems name the plugin and its library") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", edit(kBase, "acc_mean: 0.5", "acc_mean: 2"));
  const std::string e = load_error(dir.path() / "m.yaml");
  const auto gaussian = kcube::test::builtin_registry().find("gaussian");
  CHECK(has(e, "(plugin " + gaussian->label() + ")"));
  CHECK(has(e, "'kcube plugins describe gaussian'"));
}

TEST_CASE("an include cycle is an error naming the whole chain") {
  const fs::path a = kData / "cycle" / "a.yaml";
  const std::string e = load_error(a);
  CAPTURE(e);
  const std::string chain = a.string() + " -> " + (kData / "cycle" / "b.yaml").string() + " -> " +
                            (kData / "cycle" / "c.yaml").string() + " -> " + a.string();
  CHECK(has(e, "include cycle: " + chain));
  CHECK(has(e, (kData / "cycle" / "c.yaml").string() + ":2:5: include: "));
  CHECK(has(e, "remove one of these includes"));
}

TEST_CASE("a file that includes itself is a cycle") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "self.yaml", kBase + "include: [./self.yaml]\n");
  const std::string e = load_error(dir.path() / "self.yaml");
  CHECK(has(e, ":13:11: include: include cycle: "));
}

TEST_CASE("a name defined in two included files names both places") {
  const std::string e = load_error(kData / "dup" / "root.yaml");
  CAPTURE(e);
  const std::string one = (kData / "dup" / "one.yaml").string();
  const std::string two = (kData / "dup" / "two.yaml").string();
  CHECK(has(e, two + ":4:3: profiles.p: 'p' is defined twice (also at " + one + ":2:3)"));
  CHECK(has(e, two + ":2:1: experiment: 'experiment' is only allowed in the root manifest"));
}

TEST_CASE("a missing included file names the include line and the resolved path") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase + "include:\n  - sub/missing.yaml\n");
  const std::string e = load_error(dir.path() / "m.yaml");
  CHECK(has(e, ":14:5: include: file '" + (dir.path() / "sub" / "missing.yaml").string() +
                   "' does not exist; include paths are relative to the including file"));
}

TEST_CASE("a missing root file is one clear problem") {
  const std::string e = load_error(kData / "no-such-manifest.yaml");
  CHECK(has(e, "has 1 problem:"));
  CHECK(has(e, "no-such-manifest.yaml' does not exist; check the path"));
}

TEST_CASE("an include that cannot be read, or never ends, is a problem and not an exception") {
  // /proc/self/mem fails its first read (EIO); /proc/self/pagemap reports 0 bytes, holds
  // hundreds of gigabytes and refuses reads that are not multiples of 8 bytes (EINVAL). A read
  // error once escaped as std::ios_base::failure.
  kcube::test::TempDir dir;
  for (const char* file : {"/proc/self/mem", "/proc/self/pagemap"}) {
    CAPTURE(file);
    if (!fs::exists(file))
      continue;
    write_file(dir.path() / "m.yaml", kBase + "include: [" + file + "]\n");
    const std::string e = load_error(dir.path() / "m.yaml");
    CAPTURE(e);
    CHECK((has(e, "m.yaml:13:11: cannot read '") ||
           has(e, "m.yaml:13:11: '" + std::string(file) +
                      "' takes the manifest with its includes past 16 MiB in all")));
  }
}

TEST_CASE("an empty file and a comment-only file are reported as empty") {
  kcube::test::TempDir dir;
  for (const std::string& text :
       {std::string(), std::string("# nothing here\n\n"), std::string("---\n")}) {
    write_file(dir.path() / "empty.yaml", text);
    const std::string e = load_error(dir.path() / "empty.yaml");
    CAPTURE(e);
    CHECK(has(e, (dir.path() / "empty.yaml").string() + ":1:1: the file is empty"));
  }
}

TEST_CASE("a depth bomb is refused at 64 levels, block or flow, however deep") {
  kcube::test::TempDir dir;
  std::string block = "kcube: 1\nexperiment: t\nrun:\n";
  for (int i = 0; i < 100; ++i)
    block +=
        std::string(static_cast<std::size_t>(2 * i + 2), ' ') + "k" + std::to_string(i) + ":\n";
  write_file(dir.path() / "block.yaml", block);
  CHECK(has(load_error(dir.path() / "block.yaml"), "nesting deeper than 64 levels"));

  // 200000 '[' would overflow a recursive parser's stack without the guard.
  const std::string flow =
      "kcube: 1\nx: " + std::string(200000, '[') + std::string(200000, ']') + "\n";
  write_file(dir.path() / "flow.yaml", flow);
  const std::string e = load_error(dir.path() / "flow.yaml");
  CAPTURE(e.substr(0, 300));
  CHECK(has(e, "flow.yaml:2:"));
  CHECK(has(e, "nesting deeper than 64 levels"));
}

TEST_CASE("ten megabytes of open brackets are refused before the YAML parser queues them") {
  // yaml-cpp holds every token of unclosed flow openers until they close (about 300 bytes per
  // '['): this input took 1.5 GB and 6 s before a text scan refused it.
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml",
             "kcube: 1\nx: " + std::string(5000000, '[') + std::string(5000000, ']') + "\n");
  const std::string e = load_error(dir.path() / "m.yaml");
  CHECK(has(e, "m.yaml:2:68: nesting deeper than 64 levels"));
  CHECK(has(e, "has 1 problem:"));
}

TEST_CASE("brackets in comments, quotes, plain text and block scalars are not nesting") {
  kcube::test::TempDir dir;
  const std::string many(100, '[');
  write_file(dir.path() / "m.yaml", kBase + "# " + many + "\ndescription: a " + many + " '\n" +
                                        "store: \"" + many + ".sqlite\"\n" + "run: {seed: '1'} # " +
                                        many + "\n");
  CHECK(load_error(dir.path() / "m.yaml") == "(no kcube::Error)");
  write_file(dir.path() / "block.yaml",
             edit(kBase, "experiment: t\n",
                  "experiment: t\ndescription: |\n  " + many + "\n\n  " + many + "\n"));
  CHECK(load_error(dir.path() / "block.yaml") == "(no kcube::Error)");
}

TEST_CASE("a large manifest without aliases is counted by its nodes, not taken for a bomb" *
          doctest::test_suite("slow")) {
  // 400,000 nodes three levels deep: a count that added each subtree again at every level saw
  // more than 10^6 and called it an alias bomb.
  kcube::test::TempDir dir;
  std::string values;
  for (int i = 0; i < 400000; ++i)
    values += std::to_string(i) + ",";
  write_file(dir.path() / "m.yaml", kBase + "sweep:\n  run.seed: [" + values + "-1]\n");
  const std::string e = load_error(dir.path() / "m.yaml");
  CAPTURE(e.substr(0, 600));
  CHECK_FALSE(has(e, "nodes"));
  CHECK(has(e, "the experiment has 400001 cells"));
  CHECK(has(e, "expected an unsigned 64-bit integer, got '-1'"));

  std::string flat = "kcube: 1\nx: [";
  for (int i = 0; i < 1000001; ++i)
    flat += "1,";
  write_file(dir.path() / "flat.yaml", flat + "1]\n");
  CHECK(has(load_error(dir.path() / "flat.yaml"),
            "the document has more than 1000000 nodes; a manifest is a small file"));
}

TEST_CASE("with 50,000 problems the first 100 in file order are listed, the rest counted" *
          doctest::test_suite("slow")) {
  kcube::test::TempDir dir;
  std::string text = kBase + "optimizers:\n";
  for (int i = 0; i < 50000; ++i)
    text += "  o" + std::to_string(i) + ": {plugin: accuracy-max}\n";
  text += "sweep:\n";
  for (int i = 0; i < 50000; ++i)
    text += "  optimizers.missing" + std::to_string(i) + ".params.x: [1]\n";
  write_file(dir.path() / "m.yaml", edit(text, "optimizers:\n  o: {plugin: knee-point}\n", ""));
  const std::string e = load_error(dir.path() / "m.yaml");
  CHECK(has(e, "has 50000 problems:"));
  CHECK(kcube::test::problem_lines(e) == 101);  // 100 problems and "... and 49900 more"
  CHECK(has(e, "\n  ... and 49900 more"));
  // The first problems in the file come first; each lists a few of the names defined.
  CHECK(has(e,
            "m.yaml:50013:3: sweep.optimizers.missing0.params.x: no optimizers entry named "
            "'missing0'; defined: o0, o1,"));
  CHECK(has(e, ", o19, ... (50000 in all)\n"));
}

TEST_CASE("aliases cannot smuggle in depth beyond 64") {
  kcube::test::TempDir dir;
  std::string text = "kcube: 1\na: &a " + std::string(40, '[') + std::string(40, ']') + "\n";
  text += "b: " + std::string(40, '[') + "*a" + std::string(40, ']') + "\n";
  write_file(dir.path() / "m.yaml", text);
  const std::string e = load_error(dir.path() / "m.yaml");
  CHECK(has(e, "m.yaml:3:"));
  CHECK(has(e, "(aliases included)"));
}

TEST_CASE("a billion-laughs alias bomb is refused before it expands") {
  kcube::test::TempDir dir;
  std::string text =
      "kcube: 1\nexperiment: t\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 9; ++j)
      text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  write_file(dir.path() / "lol.yaml", text);
  const std::string e = load_error(dir.path() / "lol.yaml");
  CAPTURE(e);
  CHECK(has(e, "expands to more than 1000000 nodes"));
  CHECK(has(e, "has 1 problem:"));
}

TEST_CASE("binary garbage is a clear error, not a crash") {
  kcube::test::TempDir dir;
  std::string garbage;
  std::uint32_t state = 12345;
  for (int i = 0; i < 4096; ++i) {
    state = state * 1664525u + 1013904223u;  // fixed LCG: the same bytes every run
    garbage += static_cast<char>(state >> 24);
  }
  garbage[10] = '\0';
  write_file(dir.path() / "garbage.yaml", garbage);
  const std::string e = load_error(dir.path() / "garbage.yaml");
  CAPTURE(e);
  CHECK(has(e, "garbage.yaml:1:"));
  CHECK((has(e, "looks binary") || has(e, "invalid UTF-8")));

  write_file(dir.path() / "nul.yaml", std::string("kcube: 1\nexperiment: t\0x\n", 25));
  CHECK(has(load_error(dir.path() / "nul.yaml"), "nul.yaml:2:14: control character (byte 0x00)"));
}

TEST_CASE("a sweep of 10^9 cells is refused before anything runs, naming --max-cells") {
  kcube::test::TempDir dir;
  std::string text = kBase + "sweep:\n";
  for (const char* key :
       {"c_in", "c_out", "t_in", "t_out", "mu_Lin", "sigma_Lin", "mu_Lout", "sigma_Lout"}) {
    text += "  profiles.p.params." + std::string(key) + ": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  }
  text += "  profiles.p.params.acc_mean: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]\n";
  write_file(dir.path() / "big.yaml", text);
  const std::string e = load_error(dir.path() / "big.yaml");
  CAPTURE(e);
  CHECK(has(e, "big.yaml:14:3: sweep: the experiment has 1000000000 cells"));
  CHECK(has(e, "more than --max-cells 100000"));
  CHECK(has(e, "raise --max-cells"));
}

TEST_CASE("replications count toward --max-cells") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase + "run: {replications: 4}\n");
  CHECK(has(load_error(dir.path() / "m.yaml", {}, 3),
            "run.replications: the experiment has 4 cells"));
  CHECK(load_error(dir.path() / "m.yaml", {}, 4) == "(no kcube::Error)");
}

TEST_CASE("bad overrides are reported with the --set text and did-you-mean") {
  kcube::test::TempDir dir;
  write_file(dir.path() / "m.yaml", kBase);
  const std::string e =
      load_error(dir.path() / "m.yaml",
                 {"run.trails=5", "scenarioz.s.params.cost_max=1", "scenarios.t.params.cost_max=1",
                  "scenarios.s.params.cost_mx=1", "no-equals-sign", "sweep.run.trials=[1]"});
  CAPTURE(e);
  CHECK(has(e, "has 6 problems:"));
  CHECK(has(e, "--set 'run.trials=5'") == false);
  CHECK(has(
      e,
      "--set 'run.trails=5': run.trails: unknown run setting 'trails' (did you mean 'trials'?)"));
  CHECK(has(e, "--set 'scenarioz.s.params.cost_max=1': scenarioz.s.params.cost_max: unknown path"));
  CHECK(has(e, "(did you mean 'scenarios'?)"));
  CHECK(has(e, "no scenarios entry named 't' (did you mean 's'?)"));
  CHECK(has(e,
            "--set 'scenarios.s.params.cost_mx=1': scenarios.s.params.cost_mx: unknown parameter "
            "'cost_mx' (did you mean 'cost_max'?)"));
  CHECK(has(e, "--set 'no-equals-sign': expected PATH=VALUE"));
  CHECK(has(e, "'sweep' cannot be set with --set"));
}

TEST_CASE(
    "random corruptions of a valid manifest give a manifest or a kcube::Error, nothing else") {
  // Deterministic: a fixed LCG picks byte flips, deletions, insertions of YAML punctuation and
  // truncations. Any other exception type or a crash fails the test.
  kcube::test::TempDir dir;
  const fs::path file = dir.path() / "fuzz.yaml";
  const std::string base = kBase + "run: {trials: 10, threads: auto}\nsweep:\n  run.seed: [1, 2]\n";
  const std::string punctuation = ":{}[],&*!|>'\"%@`#-? \n\t\\";
  std::uint64_t state = 2025;
  const auto next = [&](std::size_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((state >> 33) % bound);
  };
  int loaded = 0, refused = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string text = base;
    const std::size_t edits = 1 + next(4);
    for (std::size_t e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = next(text.size());
      switch (next(4)) {
        case 0:
          text[at] = static_cast<char>(next(256));
          break;
        case 1:
          text.erase(at, 1 + next(8));
          break;
        case 2:
          text.insert(at, 1, punctuation[next(punctuation.size())]);
          break;
        default:
          text.resize(at);
          break;
      }
    }
    write_file(file, text);
    try {
      kcube::load_manifest(file, {}, kcube::test::builtin_registry());
      ++loaded;
    } catch (const kcube::Error& e) {
      ++refused;
      CHECK(has(e.what(), file.string()));
    }
  }
  CHECK(refused > 0);
  CHECK(loaded + refused == 1500);
}

// ---- Issue 12: merge keys, text that must not reach a terminal raw, limits over includes ----

namespace {

std::size_t occurrences(const std::string& haystack, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++count;
  return count;
}

constexpr const char* kMergeMessage =
    "YAML merge keys ('<<') are not supported; write the keys out, or use an alias for a whole "
    "value (key: *anchor)";

}  // namespace

TEST_CASE("a YAML merge key says merge keys are not supported and what to write instead") {
  kcube::test::TempDir dir;
  // In a plugin's params (the common use), under an anchor that is aliased twice, and at the top.
  write_file(dir.path() / "m.yaml",
             edit(kBase, "    params: {c_in: 1e-6,", "    params: &g {c_in: 1e-6,") +
                 "defaults: &d\n  <<: *g\n"
                 "<<: {description: x}\n");
  write_file(dir.path() / "p.yaml",
             edit(kBase, "    params: {c_in: 1e-6,", "    params: &g {c_in: 1e-6,") +
                 "  q:\n    plugin: knee-point\n    params:\n      <<: *g\n");
  const std::string e = load_error(dir.path() / "p.yaml");
  CAPTURE(e);
  CHECK(has(e, "p.yaml:16:7: optimizers.q.params: " + std::string(kMergeMessage)));
  CHECK(has(e, "has 1 problem:"));
  CHECK(occurrences(e, "<<") == 1);  // not also an unknown key or an unknown parameter
  CHECK_FALSE(has(e, "unknown"));

  const std::string top = load_error(dir.path() / "m.yaml");
  CAPTURE(top);
  CHECK(has(top, "m.yaml:14:3: defaults: " + std::string(kMergeMessage)));
  CHECK(has(top, "m.yaml:15:1: " + std::string(kMergeMessage)));
  CHECK(occurrences(top, "<<") == 2);
}

TEST_CASE("control characters and NUL in keys are shown escaped, and the message goes on") {
  kcube::test::TempDir dir;
  // YAML's double-quoted escapes make a key with NUL, ESC (an OSC title sequence) and BEL.
  write_file(dir.path() / "m.yaml", kBase + "\"bad\\0key\\e]0;owned\\a\": 1\nalso_bad: 2\n");
  const std::string e = load_error(dir.path() / "m.yaml");
  CAPTURE(e);
  CHECK(e.find('\0') == std::string::npos);
  CHECK(e.find('\x1b') == std::string::npos);
  CHECK(e.find('\a') == std::string::npos);
  CHECK(has(
      e,
      "m.yaml:13:1: bad\\x00key\\x1b]0;owned\\x07: unknown key 'bad\\x00key\\x1b]0;owned\\x07'"));
  // What follows the NUL is still there: the allowed keys and the next problem.
  CHECK(has(e, "; allowed: kcube, experiment"));
  CHECK(has(e, "unknown key 'also_bad'"));
  CHECK(has(e, "has 2 problems"));
}

TEST_CASE("the size limit holds for the manifest and all its includes together" *
          doctest::test_suite("slow")) {
  // Three includes of 7 MiB each: each is under 16 MiB, together they are not. The third is
  // named, with the bytes before it and its own; a fourth is not read at all.
  kcube::test::TempDir dir;
  const std::string filler = "#" + std::string(1023, 'x') + "\n";
  std::string big = "profiles: {}\n";
  while (big.size() < (std::size_t{7} << 20))
    big += filler;
  for (const char* name : {"a.yaml", "b.yaml", "c.yaml", "d.yaml"})
    write_file(dir.path() / name, big);
  write_file(dir.path() / "m.yaml", kBase + "include: [a.yaml, b.yaml, c.yaml, d.yaml]\n");
  const std::string e = load_error(dir.path() / "m.yaml");
  CAPTURE(e.substr(0, 2000));
  const std::string before = std::to_string(fs::file_size(dir.path() / "m.yaml") + 2 * big.size());
  CHECK(has(e, "m.yaml:13:27: '" + (dir.path() / "c.yaml").string() +
                   "' takes the manifest with its includes past 16 MiB in all (" + before +
                   " bytes in the files before it, " + std::to_string(big.size()) +
                   " bytes in this one)"));
  CHECK(has(e, "has 1 problem:"));
}

TEST_CASE("the node limit holds for the manifest and all its includes together" *
          doctest::test_suite("slow")) {
  // Three includes of 400,000 nodes each: each is under 10^6 nodes, together they are not.
  kcube::test::TempDir dir;
  std::string list;
  for (int i = 0; i < 400000; ++i)
    list += "1,";
  for (const char* name : {"a.yaml", "b.yaml", "c.yaml", "d.yaml"})
    write_file(dir.path() / name, "profiles:\n  x: [" + list + "1]\n");
  write_file(dir.path() / "m.yaml", kBase + "include: [a.yaml, b.yaml, c.yaml, d.yaml]\n");
  const std::string e = load_error(dir.path() / "m.yaml");
  CAPTURE(e.substr(0, 2000));
  CHECK(has(e, (dir.path() / "c.yaml").string() + ":2:"));
  CHECK(has(e, "the manifest with its includes ("));
  CHECK(has(e,
            " nodes in the files before this one) has more than 1000000 nodes in all; a "
            "manifest is a small file"));
  CHECK(occurrences(e, "1000000 nodes") == 1);  // d.yaml is not read
}

TEST_CASE("at most 1000 included files in the manifest and its includes together") {
  // The root names more.yaml, which names x.yaml 1000 times (loaded once, but every name counts):
  // the 1001st name in all is the one problem. With 999 names in more.yaml the manifest loads.
  kcube::test::TempDir dir;
  write_file(dir.path() / "x.yaml", "profiles: {}\n");
  write_file(dir.path() / "m.yaml", kBase + "include: [more.yaml]\n");
  const auto more = [&](int names) {
    std::string text = "include:\n";
    for (int i = 0; i < names; ++i)
      text += "  - x.yaml\n";
    write_file(dir.path() / "more.yaml", text);
  };
  more(999);
  CHECK(load_error(dir.path() / "m.yaml") == "(no kcube::Error)");
  more(1000);
  const std::string e = load_error(dir.path() / "m.yaml");
  CAPTURE(e.substr(0, 2000));
  // more.yaml line 1 is "include:", its 1000th name is on line 1001.
  CHECK(has(e,
            "more.yaml:1001:5: include: more than 1000 included files in the manifest and its "
            "includes together; a study is a few files: merge the small ones"));
  CHECK(has(e, "has 1 problem:"));
}

TEST_CASE("plugin_path: entries relative to the manifest file, read before the plugins") {
  kcube::test::TempDir dir;
  fs::create_directories(dir.path() / "plugins");
  fs::create_directories(dir.path() / "exp" / "more");
  write_file(dir.path() / "exp" / "one.so", "");
  write_file(dir.path() / "exp" / "m.yaml",
             kBase + "plugin_path: [../plugins, more, one.so]\ninclude: [missing.yaml]\n");
  const std::vector<fs::path> want = {dir.path() / "plugins", dir.path() / "exp" / "more",
                                      dir.path() / "exp" / "one.so"};
  // Read from the root file alone (the missing include does not matter), for discovery.
  CHECK(kcube::read_plugin_path(dir.path() / "exp" / "m.yaml") == want);
  // A single path is a list of one.
  write_file(dir.path() / "m.yaml", kBase + "plugin_path: plugins\n");
  CHECK(kcube::read_plugin_path(dir.path() / "m.yaml") ==
        std::vector<fs::path>{dir.path() / "plugins"});
  const kcube::Manifest m =
      kcube::load_manifest(dir.path() / "m.yaml", {}, kcube::test::builtin_registry());
  CHECK(m.plugin_path == std::vector<fs::path>{dir.path() / "plugins"});
  // No key: nothing, and an unreadable manifest is left to load_manifest to report.
  write_file(dir.path() / "none.yaml", kBase);
  CHECK(kcube::read_plugin_path(dir.path() / "none.yaml").empty());
  CHECK(kcube::read_plugin_path(dir.path() / "no-such.yaml").empty());
}

TEST_CASE("plugin_path problems name file:line:col, the entry and the fix") {
  kcube::test::TempDir dir;
  fs::create_directories(dir.path() / "plugins");
  const fs::path file = dir.path() / "m.yaml";
  const std::string at = file.string();

  write_file(file, kBase + "plugin_path: [plugins, nowhere, '', {a: 1}]\n");
  std::string e = load_error(file);
  CAPTURE(e);
  CHECK(has(e, at + ":13:24: plugin_path[1]: 'nowhere' (" + (dir.path() / "nowhere").string() +
                   ") does not exist; plugin_path entries are plugin folders or files, relative "
                   "to the manifest file"));
  CHECK(has(e, at + ":13:33: plugin_path[2]: empty path; remove it"));
  CHECK(has(e, at + ":13:37: plugin_path[3]: expected a single value, got a mapping"));
  CHECK(has(e, "has 3 problems:"));
  // Only the valid entries are searched.
  CHECK(kcube::read_plugin_path(file) == std::vector<fs::path>{dir.path() / "plugins"});

  write_file(file, kBase + "plugin_path: {dir: plugins}\n");
  e = load_error(file);
  CHECK(has(e, at + ":13:14: plugin_path: expected a list of plugin folders or files"));

  // Root file only; not settable.
  write_file(dir.path() / "inc.yaml", "plugin_path: [plugins]\n");
  write_file(file, kBase + "include: [inc.yaml]\n");
  e = load_error(file, {"plugin_path=plugins"});
  CHECK(has(e, (dir.path() / "inc.yaml").string() +
                   ":1:1: plugin_path: 'plugin_path' is only allowed in the root manifest"));
  CHECK(has(e,
            "--set 'plugin_path=plugins': plugin_path: 'plugin_path' cannot be set with "
            "--set; give --plugin-path DIR or edit the manifest"));
}
