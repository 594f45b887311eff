// Private: template definitions of plugin_host.hpp.
#pragma once

#include "kcube/aggregator.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/optimizer.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

template <>
constexpr PluginKind kind_of<ModelProfile>() {
  return PluginKind::model_profile;
}
template <>
constexpr PluginKind kind_of<Scenario>() {
  return PluginKind::scenario;
}
template <>
constexpr PluginKind kind_of<Optimizer>() {
  return PluginKind::optimizer;
}
template <>
constexpr PluginKind kind_of<Aggregator>() {
  return PluginKind::aggregator;
}

template <class T>
PluginInstance<T> PluginRegistry::create(const PluginSpec& spec) const {
  std::shared_ptr<const LoadedPlugin> plugin = find(spec.name, kind_of<T>());
  Params params;
  std::unique_ptr<PluginObject> object = make(*plugin, spec, params);
  auto* typed = dynamic_cast<T*>(object.get());
  if (typed == nullptr) {
    throw RuntimeFailure("plugin " + plugin->label() + " declares kind '" +
                         std::string(to_string(kind_of<T>())) +
                         "' but its factory made an object of another type; fix the plugin's "
                         "descriptor or factory");
  }
  object.release();
  return PluginInstance<T>(std::move(plugin), std::unique_ptr<T>(typed), std::move(params),
                           spec.text);
}

}  // namespace kcube
