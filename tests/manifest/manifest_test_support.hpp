// Test support for the manifest tests: the built-in plugins, files in a temporary folder, and
// the message of the kcube::Error a load throws.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "builtin_registry.hpp"
#include "host/plugin_host.hpp"
#include "kcube/error.hpp"
#include "manifest/manifest.hpp"

namespace kcube::test {

/// Writes `text` to `path`, creating its folder.
inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// The message of the kcube::Error that loading `file` throws, or "(no kcube::Error)".
inline std::string load_error(const std::filesystem::path& file,
                              const std::vector<std::string>& overrides = {},
                              std::uint64_t max_cells = kDefaultMaxCells) {
  try {
    load_manifest(file, overrides, builtin_registry(), max_cells);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no kcube::Error)";
}

/// A small valid manifest; tests edit it into bad ones. Line numbers matter to them:
///   1 kcube, 2 experiment, 5 profile plugin, 6 profile params, 9 scenario plugin,
///   10 scenario params, 12 optimizer; text appended starts at line 13.
inline const std::string kBase =
    "kcube: 1\n"
    "experiment: t\n"
    "profiles:\n"
    "  p:\n"
    "    plugin: gaussian\n"
    "    params: {c_in: 1e-6, c_out: 1e-6, t_in: 0.001, t_out: 0.01, acc_mean: 0.5, acc_std: 0.1}\n"
    "scenarios:\n"
    "  s:\n"
    "    plugin: budget\n"
    "    params: {cost_max: 1}\n"
    "optimizers:\n"
    "  o: {plugin: knee-point}\n";

/// `text` with the first `from` replaced by `to` (which must be present).
inline std::string edit(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' is not in the base manifest");
  return text.replace(at, from.size(), to);
}

/// Number of problem lines ("  where: ...") in a load error.
inline std::size_t problem_lines(const std::string& message) {
  std::size_t count = 0;
  for (std::size_t at = message.find("\n  "); at != std::string::npos;
       at = message.find("\n  ", at + 1))
    ++count;
  return count;
}

}  // namespace kcube::test
