#include "manifest/overrides.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "host/param_validation.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

std::vector<std::string> dotted(const std::string& path) {
  std::vector<std::string> parts;
  for (std::size_t at = 0;;) {
    const std::size_t dot = path.find('.', at);
    parts.push_back(path.substr(at, dot == std::string::npos ? dot : dot - at));
    if (dot == std::string::npos)
      return parts;
    at = dot + 1;
  }
}

std::optional<std::string> run_value(const RunSettings& run, const std::string& key) {
  if (key == "evaluator")
    return std::string(to_string(run.evaluator));
  if (key == "trials")
    return std::to_string(run.trials);
  if (key == "replications")
    return std::to_string(run.replications);
  if (key == "bootstrap")
    return std::to_string(run.bootstrap);
  if (key == "seed")
    return std::to_string(run.seed);
  if (key == "sampling")
    return std::string(to_string(run.sampling));
  if (key == "threads")
    return run.threads == 0 ? std::string("auto") : std::to_string(run.threads);
  return std::nullopt;
}

// The canonical value at SECTION.NAME.plugin or SECTION.NAME.params.KEY.
std::optional<std::string> use_value(const std::vector<PluginUse>& uses,
                                     const std::vector<std::string>& parts,
                                     const PluginRegistry& registry) {
  const auto use = std::find_if(uses.begin(), uses.end(),
                                [&](const PluginUse& u) { return u.name == parts[1]; });
  if (use == uses.end())
    return std::nullopt;
  if (parts.size() == 3 && parts[2] == "plugin")
    return use->plugin;
  if (parts.size() != 4 || parts[2] != "params")
    return std::nullopt;
  const ParamCheck check = check_params(registry.find(use->plugin)->schema(), use->params);
  const auto value = check.params.find(parts[3]);
  if (!check.problems.empty() || value == check.params.not_found())
    return std::nullopt;
  return value->second.data();
}

// The canonical value at `path` of `m`; nullopt when the path is not one --set can set.
std::optional<std::string> value_at(const Manifest& m, const std::string& path,
                                    const PluginRegistry& registry) {
  const auto parts = dotted(path);
  if (parts.size() == 1) {
    if (path == "kcube")
      return std::to_string(m.version);
    if (path == "experiment")
      return m.experiment;
    if (path == "description")
      return m.description;
    if (path == "store")
      return m.store.string();
    return std::nullopt;
  }
  if (parts[0] == "run")
    return parts.size() == 2 ? run_value(m.run, parts[1]) : std::nullopt;
  if (parts.size() < 3)
    return std::nullopt;
  if (parts[0] == "profiles")
    return use_value(m.profiles, parts, registry);
  if (parts[0] == "scenarios")
    return use_value(m.scenarios, parts, registry);
  if (parts[0] == "optimizers")
    return use_value(m.optimizers, parts, registry);
  if (parts[0] == "aggregators")
    return use_value(m.aggregators, parts, registry);
  return std::nullopt;
}

}  // namespace

std::vector<std::string> canonical_override_values(const Manifest& manifest,
                                                   const std::vector<std::string>& overrides,
                                                   const PluginRegistry& registry) {
  std::map<std::string, std::string> values;
  for (const std::string& text : overrides) {
    const std::size_t equals = text.find('=');
    if (equals == std::string::npos)
      continue;  // load_manifest refused it already
    const std::string path(text::trim(std::string_view(text).substr(0, equals)));
    // A value the manifest does not hold as given (cannot happen after load_manifest): as typed.
    values[path] = value_at(manifest, path, registry)
                       .value_or(std::string(text::trim(text.substr(equals + 1))));
  }
  std::vector<std::string> out;
  for (const auto& [path, value] : values)
    out.push_back(path + "=" + value);
  return out;
}

}  // namespace kcube
