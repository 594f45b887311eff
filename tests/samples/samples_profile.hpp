// Test support for the `samples` model profile: logs written to a temporary folder, and the
// profile the plugin library in the build tree makes from them.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "kcube/model_profile.hpp"
#include "loaded_profile.hpp"
#include "temp_dir.hpp"

namespace kcube::test {

/// A log file named `name` holding `text` in a fresh folder, removed with it.
struct WrittenLog {
  TempDir dir;
  std::filesystem::path path;
  WrittenLog(const std::string& name, const std::string& text) : path(dir.path() / name) {
    std::ofstream(path, std::ios::binary) << text;
  }
};

/// A `samples` profile of the log at `path` (absolute) with the other parameters `values`.
inline LoadedProfile samples_profile(const std::filesystem::path& path, ParamValues values = {}) {
  values["path"] = path.string();
  return {"samples", values};
}

/// The folder of the four shipped logs.
inline std::filesystem::path shipped_logs() {
  return std::filesystem::path(KCUBE_TEST_SOURCE_DIR) / "experiments" / "data";
}

}  // namespace kcube::test
