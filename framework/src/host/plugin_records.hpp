// Private: the plugins a stored run recorded (PluginRecord, store.hpp) against the plugins found
// now. `kcube report` searches the recorded library files to re-create a run's plugins without
// --plugin-path, and says at the top of the report which it could not re-create as the run
// used them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "host/plugin_host.hpp"
#include "store/store.hpp"

namespace kcube {

/// The library files of `recorded` that are still regular files, in order: searched after
/// --plugin-path, so that a report re-creates each plugin from the file the run used.
std::vector<std::filesystem::path> recorded_plugin_files(const std::vector<PluginRecord>& recorded);

/// One sentence for each plugin of `recorded` that `registry` lacks (its file is gone or was
/// refused, and no plugin of that name and kind is found elsewhere) or holds as another build
/// than the run used (a SHA-256 other than the recorded one): which plugin, why, what it means
/// for the report and how to fix it. Empty when every plugin is there as recorded (a record
/// without a SHA-256, from an older kcube, is taken as it is found).
std::vector<std::string> recorded_plugin_problems(const std::vector<PluginRecord>& recorded,
                                                  const PluginRegistry& registry);

}  // namespace kcube
