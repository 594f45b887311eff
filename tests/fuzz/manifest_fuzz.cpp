// Fuzz target `manifest`: load_manifest() with includes, --set overrides, sweeps and plugin
// parameters checked against the built-in plugins' schemas, then what `kcube run` does with a
// valid manifest before it simulates: expand the sweep, apply each point, make every plugin.
//
// Input: the root manifest, optionally followed by more files. A line "#@file NAME" starts the
// next file, NAME relative to the root's folder (letters, digits, '.', '_', '-', '/'; it may
// climb out of the root's folder by one level, never out of the scratch folder), so includes,
// include cycles and missing includes are all reachable. A line "#@set PATH=VALUE" anywhere is
// also passed as an override. Both are YAML comments: they do not disturb the YAML around them.
//
// kcube::Error is the right answer to a bad manifest; any other exception, a crash or a
// sanitizer report is a bug.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "kcube/error.hpp"
#include "manifest/manifest.hpp"

namespace {

namespace fs = std::filesystem;
using kcube::fuzz::bug;

constexpr std::string_view kTarget = "manifest";
constexpr std::string_view kFileMarker = "#@file";
constexpr std::string_view kSetMarker = "#@set ";
// Sweep points whose plugins are made: enough to reach every axis, few enough to stay fast.
constexpr std::size_t kPointsMade = 8;

struct InputFile {
  std::string name;
  std::string text;
};

struct Input {
  std::vector<InputFile> files;  // the root first
  std::vector<std::string> overrides;
};

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name.front() != '/' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == '/';
         });
}

Input split_input(std::string_view data) {
  Input input;
  input.files.push_back({"m.yaml", {}});
  while (!data.empty()) {
    const auto end = data.find('\n');
    const std::string_view line = data.substr(0, end);
    data.remove_prefix(end == std::string_view::npos ? data.size() : end + 1);
    if (line.starts_with(kFileMarker)) {
      std::string name(line.substr(kFileMarker.size()));
      name.erase(0, name.find_first_not_of(' '));
      if (!valid_name(name))
        name = "f" + std::to_string(input.files.size()) + ".yaml";
      input.files.push_back({name, {}});
      continue;
    }
    if (line.starts_with(kSetMarker))
      input.overrides.emplace_back(line.substr(kSetMarker.size()));
    std::string& text = input.files.back().text;
    text.append(line);
    if (end != std::string_view::npos)
      text += '\n';
  }
  return input;
}

// Writes the files under a fresh `scratch`/root/; the root manifest's path, or empty when a name
// cannot be used (a folder and a file of the same name): such an input tests nothing.
fs::path write_files(const fs::path& scratch, const Input& input) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(scratch, ec))
    fs::remove_all(entry.path(), ec);
  const fs::path root_dir = scratch / "root";
  fs::create_directories(root_dir, ec);
  for (const InputFile& file : input.files) {
    const fs::path path = (root_dir / file.name).lexically_normal();
    const auto relative = path.lexically_relative(scratch);
    if (relative.empty() || *relative.begin() == ".." || relative == ".")
      continue;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
      return {};
    out.write(file.text.data(), static_cast<std::streamsize>(file.text.size()));
    if (!out)
      return {};
  }
  return root_dir / input.files.front().name;
}

kcube::PluginSpec spec_of(const kcube::PluginUse& use, std::string_view section) {
  // As `kcube run` makes a cell's plugins.
  return {std::string(section) + "." + use.name + " (" + use.plugin + ")", use.plugin, use.params};
}

// What must hold for every manifest load_manifest accepts, and what `kcube run` does with it
// before simulating.
void check_valid(const kcube::Manifest& m) {
  if (m.sources.empty() || m.sha256.size() != 64 || m.experiment.empty())
    bug(kTarget, "a valid manifest without sources, sha256 or experiment name");
  if (m.profiles.empty() || m.scenarios.empty())
    bug(kTarget, "a valid manifest without profiles or scenarios");
  if (m.cell_count == 0 || m.cell_count > kcube::kDefaultMaxCells)
    bug(kTarget, "a valid manifest with " + std::to_string(m.cell_count) + " cells");
  const std::vector<kcube::SweepPoint> points = kcube::expand_sweep(m);
  const auto cells = points.size() * m.profiles.size() * m.scenarios.size() *
                     static_cast<std::size_t>(m.run.replications);
  if (cells != m.cell_count) {
    bug(kTarget, "cell_count " + std::to_string(m.cell_count) + " but the sweep expands to " +
                     std::to_string(cells) + " cells");
  }
  const kcube::PluginRegistry& registry = kcube::fuzz::builtin_registry();
  for (std::size_t p = 0; p < points.size() && p < kPointsMade; ++p) {
    const kcube::Manifest point = kcube::apply_sweep_point(m, points[p]);
    // A factory may still refuse a combination the schema allows (k_step > k_max): an Error.
    try {
      for (const auto& use : point.profiles)
        (void)registry.create<kcube::ModelProfile>(spec_of(use, "profiles"));
      for (const auto& use : point.scenarios)
        (void)registry.create<kcube::Scenario>(spec_of(use, "scenarios"));
      for (const auto& use : point.optimizers)
        (void)registry.create<kcube::Optimizer>(spec_of(use, "optimizers"));
    } catch (const kcube::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const kcube::PluginRegistry& registry = kcube::fuzz::builtin_registry();
  const Input input = split_input({reinterpret_cast<const char*>(data), size});
  const fs::path root = write_files(kcube::fuzz::scratch_dir(kTarget), input);
  if (root.empty())
    return 0;
  try {
    check_valid(kcube::load_manifest(root, input.overrides, registry));
  } catch (const kcube::Error&) {
    // The documented answer to a bad manifest.
  } catch (const std::exception& e) {
    kcube::fuzz::unexpected(kTarget, e);
  }
  return 0;
}
