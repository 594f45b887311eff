// Test support: one optimizer plugin library loaded straight from the build tree, without the
// host, and the optimizer it makes.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "kcube/optimizer.hpp"
#include "kcube/params.hpp"
#include "kcube/plugin.hpp"

namespace kcube::test {

/// Parameter values by key, in the canonical text the host would hand the factory.
using ParamValues = std::map<std::string, std::string>;

/// An optimizer made by the plugin library kcube-optimizer-<name>.so in KCUBE_TEST_PLUGIN_DIR.
class LoadedOptimizer {
 public:
  /// Loads the library and makes the optimizer from `values`, which must give every key of the
  /// plugin's schema (the host fills defaults before a factory runs, so a plugin may rely on it).
  LoadedOptimizer(const std::string& name, const ParamValues& values)
      : library_(std::filesystem::path(KCUBE_TEST_PLUGIN_DIR) / ("kcube-optimizer-" + name + ".so"),
                 boost::dll::load_mode::rtld_now),
        descriptor_(&library_.get_alias<const PluginDescriptor>("kcube_plugin")) {
    REQUIRE(descriptor_->abi_version == kAbiVersion);
    REQUIRE(descriptor_->kind == PluginKind::optimizer);
    REQUIRE(descriptor_->param_count == values.size());
    Params params;
    for (std::size_t i = 0; i < descriptor_->param_count; ++i) {
      const std::string key = descriptor_->params[i].key;
      const auto value = values.find(key);
      REQUIRE_MESSAGE(value != values.end(), "the test gives no value for parameter ", key);
      params.put(key, value->second);
    }
    object_ = descriptor_->create(params);
    optimizer_ = dynamic_cast<const Optimizer*>(object_.get());
    REQUIRE(optimizer_ != nullptr);
  }

  /// The plugin's descriptor, as the library exports it.
  const PluginDescriptor& descriptor() const { return *descriptor_; }

  /// The optimizer's pick for `problem`.
  Selection select(const SelectionProblem& problem) const { return optimizer_->select(problem); }

 private:
  // Declared first so it is destroyed last: the object's code lives in the library.
  boost::dll::shared_library library_;
  const PluginDescriptor* descriptor_;
  std::unique_ptr<PluginObject> object_;
  const Optimizer* optimizer_ = nullptr;
};

/// The optimizers with their default parameters, as the host would make them.
inline LoadedOptimizer accuracy_max(const std::string& tolerance = "0",
                                    const std::string& rule = "best") {
  return {"accuracy-max", {{"tolerance", tolerance}, {"rule", rule}}};
}
inline LoadedOptimizer cube_max(const std::string& accuracy_term = "raw") {
  return {"cube-max", {{"accuracy_term", accuracy_term}}};
}
inline LoadedOptimizer utopia_closest() {
  return {"utopia-closest", {}};
}
inline LoadedOptimizer knee_point(const std::string& method = "chord",
                                  const std::string& normalize = "budget",
                                  const std::string& fallback = "utopia-closest") {
  return {"knee-point", {{"method", method}, {"normalize", normalize}, {"fallback", fallback}}};
}

}  // namespace kcube::test
