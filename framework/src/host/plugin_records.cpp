#include "host/plugin_records.hpp"

#include <system_error>

namespace kcube {

namespace fs = std::filesystem;

std::vector<fs::path> recorded_plugin_files(const std::vector<PluginRecord>& recorded) {
  std::vector<fs::path> files;
  for (const PluginRecord& r : recorded) {
    std::error_code ec;
    if (!r.file.empty() && fs::is_regular_file(r.file, ec))
      files.emplace_back(r.file);
  }
  return files;
}

std::vector<std::string> recorded_plugin_problems(const std::vector<PluginRecord>& recorded,
                                                  const PluginRegistry& registry) {
  // What the report computes again from plugins (report.cpp, class Plugins).
  const std::string parts =
      "exact references, the rules on the cross-model pool and the budget lines";
  std::vector<std::string> problems;
  for (const PluginRecord& r : recorded) {
    const std::string who = r.kind + " '" + r.name + "' (version " + r.version + ")";
    std::shared_ptr<const LoadedPlugin> found;
    for (const auto& plugin : registry.plugins()) {
      if (plugin->name() == r.name && to_string(plugin->kind()) == r.kind) {
        found = plugin;
        break;
      }
    }
    if (found == nullptr) {
      std::error_code ec;
      std::string why = r.file.empty() ? "the run recorded no file for it"
                        : !fs::exists(r.file, ec)
                            ? "its file " + r.file + " no longer exists"
                            : "its file " + r.file + " does not provide it any more";
      for (const Refusal& refusal : registry.refusals()) {
        if (!r.file.empty() && refusal.path == fs::path(r.file))
          why = "its file " + r.file + " was refused: " + refusal.reason;
      }
      problems.push_back("Cannot re-create the " + who + " that the run used: " + why +
                         ". The parts of this report that need it (" + parts +
                         ") are left out. Restore or rebuild the plugin and run kcube report "
                         "again, with --plugin-path DIR if it lives elsewhere now.");
      continue;
    }
    if (r.sha256.empty() || found->file_sha256() == r.sha256)
      continue;
    const bool same_file = fs::path(r.file).lexically_normal() == found->file().lexically_normal();
    problems.push_back(
        "The " + who + " was re-created from " +
        (same_file ? r.file + ", which changed since the run"
                   : found->file().string() + ", not from " + r.file + " that the run used") +
        " (SHA-256 now " + found->file_sha256() + ", in the run " + r.sha256 + "): the " + parts +
        " of this report come from that build, not the run's. Give the run's build with "
        "--plugin-path DIR to report the run as it was made.");
  }
  return problems;
}

}  // namespace kcube
