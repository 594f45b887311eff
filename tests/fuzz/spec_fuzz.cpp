// Fuzz target `spec`: plugin spec strings as `kcube select` and `kcube simulate` take them.
// parse_spec(), then the parameters checked against a real plugin's schema (check_params), and
// the plugin made through the registry as the CLI does.
//
// The plugin is the one the spec names when it exists; otherwise one chosen by a hash of the
// name, so that parameter validation is exercised by every input that parses. For a plugin made,
// its canonical spec must parse and make the same plugin with the same parameters again.
//
// kcube::Error is the right answer to a bad spec; any other exception, a crash or a sanitizer
// report is a bug.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"

namespace {

using kcube::fuzz::bug;

constexpr std::string_view kTarget = "spec";

std::shared_ptr<const kcube::LoadedPlugin> plugin_for(const kcube::PluginRegistry& registry,
                                                      const std::string& name) {
  const auto& plugins = registry.plugins();
  for (const auto& plugin : plugins) {
    if (plugin->name() == name)
      return plugin;
  }
  return plugins[std::hash<std::string>{}(name) % plugins.size()];
}

// Makes the plugin of `spec` (its kind chosen by the descriptor) and returns its canonical spec.
std::string make(const kcube::PluginRegistry& registry, const kcube::LoadedPlugin& plugin,
                 const kcube::PluginSpec& spec, kcube::Params& params) {
  switch (plugin.kind()) {
    case kcube::PluginKind::model_profile: {
      const auto made = registry.create<kcube::ModelProfile>(spec);
      params = made.params();
      break;
    }
    case kcube::PluginKind::scenario: {
      const auto made = registry.create<kcube::Scenario>(spec);
      params = made.params();
      break;
    }
    case kcube::PluginKind::optimizer: {
      const auto made = registry.create<kcube::Optimizer>(spec);
      params = made.params();
      break;
    }
    case kcube::PluginKind::aggregator: {
      const auto made = registry.create<kcube::Aggregator>(spec);
      params = made.params();
      break;
    }
  }
  return kcube::canonical_spec(plugin.name(), params);
}

void check_spec(const kcube::PluginSpec& spec) {
  if (spec.name.empty())
    bug(kTarget, "parse_spec accepted an empty plugin name");
  for (const auto& param : spec.params) {
    if (param.key.empty())
      bug(kTarget, "parse_spec accepted an empty key");
  }
  const kcube::PluginRegistry& registry = kcube::fuzz::builtin_registry();
  try {
    (void)registry.find(spec.name);  // unknown names: "did you mean"
  } catch (const kcube::Error&) {
  }
  const auto plugin = plugin_for(registry, spec.name);
  const kcube::ParamCheck check = kcube::check_params(plugin->schema(), spec.params);
  const kcube::PluginSpec as_plugin{spec.text, std::string(plugin->name()), spec.params};
  kcube::Params params;
  std::string canonical;
  try {
    canonical = make(registry, *plugin, as_plugin, params);
  } catch (const kcube::Error&) {
    // Bad parameters, or a factory refusing a combination the schema allows (k_step > k_max).
    return;
  }
  if (!check.problems.empty())
    bug(kTarget, "the registry made " + canonical + " although check_params found problems");

  // The canonical spec makes the same plugin object: the same keys and values (Params keep the
  // order written, so compare their canonical text, which sorts them).
  kcube::Params again;
  std::string canonical_again;
  try {
    const kcube::PluginSpec reparsed = kcube::parse_spec(canonical);
    canonical_again = make(registry, *plugin, reparsed, again);
  } catch (const kcube::Error& e) {
    bug(kTarget, "canonical spec '" + canonical + "' does not make the plugin again: " + e.what());
  }
  if (canonical_again != canonical) {
    bug(kTarget, "canonical spec '" + canonical + "' makes '" + canonical_again + "' instead");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)kcube::fuzz::builtin_registry();
  try {
    check_spec(kcube::parse_spec({reinterpret_cast<const char*>(data), size}));
  } catch (const kcube::Error&) {
    // The documented answer to a bad spec.
  } catch (const std::exception& e) {
    kcube::fuzz::unexpected(kTarget, e);
  }
  return 0;
}
