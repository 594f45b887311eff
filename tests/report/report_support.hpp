// Test support for the report tests on hand-built stores (test_report.cpp,
// test_recommendation.cpp): the plugins they re-create and the CSV tables they read back.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/plugin_host.hpp"

namespace kcube::test {

/// The plugins of this build tree's plugin folder only (no KCUBE_PLUGIN_PATH, no built-ins):
/// what the report re-creates from the specs these tests store.
inline PluginRegistry report_test_registry() {
  DiscoveryOptions options;
  options.plugin_paths = {KCUBE_TEST_PLUGIN_DIR};
  options.use_environment = false;
  options.use_builtin = false;
  return PluginRegistry::discover(options);
}

/// A CSV file (RFC 4180: quoted fields may hold commas and doubled quotes) as rows of fields.
inline std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing " << path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        fields.back() += line[++i];
      else if (c == '"')
        quoted = !quoted;
      else if (c == ',' && !quoted)
        fields.emplace_back();
      else
        fields.back() += c;
    }
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace kcube::test
