#include "run/objects.hpp"

#include "host/param_validation.hpp"

namespace kcube {

PluginSpec spec_of(const PluginUse& use, const std::string& section) {
  return PluginSpec{section + "." + use.name + " (" + use.plugin + ")", use.plugin, use.params};
}

ObjectKeys object_keys(const LoadedPlugin& plugin, PluginKind kind, const PluginSpec& spec) {
  ObjectKeys keys;
  keys.failure = spec.text;
  // Where each value was written is part of a schema problem's message.
  for (const RawParam& param : spec.params)
    keys.failure += "\n" + param.key + "=" + param.value + "\n" + param.where + "\n" + param.base;
  const ParamCheck check = check_params(plugin.schema(), spec.params);
  if (check.problems.empty())
    keys.object = std::string(to_string(kind)) + "\n" + canonical_spec(plugin.name(), check.params);
  return keys;
}

}  // namespace kcube
