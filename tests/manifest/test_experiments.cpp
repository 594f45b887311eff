// Every manifest shipped under experiments/ loads and validates against the built-in plugins.
#include <doctest/doctest.h>

#include <filesystem>

#include "manifest/manifest.hpp"
#include "manifest_test_support.hpp"

namespace fs = std::filesystem;

TEST_CASE("every manifest under experiments/ is valid") {
  // Manifests are the .yaml files with a `kcube:` line; included files (profiles/, scenarios/)
  // are checked through the manifests that include them.
  const fs::path root = fs::path(KCUBE_TEST_SOURCE_DIR) / "experiments";
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".yaml")
      continue;
    const auto parent = entry.path().parent_path().filename();
    if (parent == "profiles" || parent == "scenarios")
      continue;
    CAPTURE(entry.path().string());
    kcube::Manifest manifest;
    CHECK_NOTHROW(manifest =
                      kcube::load_manifest(entry.path(), {}, kcube::test::builtin_registry()));
    CHECK_FALSE(manifest.profiles.empty());
    ++checked;
  }
  CHECK(checked >= 6);  // paper-2025 and the five examples
}

TEST_CASE("the paper study is nine profiles x three scenarios x six optimizers at 300 trials") {
  const auto m =
      kcube::load_manifest(fs::path(KCUBE_TEST_SOURCE_DIR) / "experiments" / "paper-2025.yaml", {},
                           kcube::test::builtin_registry());
  CHECK(m.experiment == "paper-2025");
  CHECK(m.profiles.size() == 9);
  CHECK(m.scenarios.size() == 3);
  CHECK(m.optimizers.size() == 6);
  CHECK(m.run.trials == 300);
  CHECK(m.run.seed == 42);
  CHECK(m.cell_count == 27);
}
