// Test support: a model-profile plugin library loaded straight from the build tree, without the
// host, and the profile it makes from parameters validated as the host would validate them.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "host/param_validation.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/params.hpp"
#include "kcube/plugin.hpp"
#include "paper_profiles.hpp"
#include "util/text.hpp"

namespace kcube::test {

/// Parameter values by key, as a user would write them.
using ParamValues = std::map<std::string, std::string>;

/// The library kcube-model-profile-<name>.so in KCUBE_TEST_PLUGIN_DIR and its descriptor.
class ProfileLibrary {
 public:
  /// Loads the library and checks its ABI version and kind.
  explicit ProfileLibrary(const std::string& name)
      : library_(
            std::filesystem::path(KCUBE_TEST_PLUGIN_DIR) / ("kcube-model-profile-" + name + ".so"),
            boost::dll::load_mode::rtld_now),
        descriptor_(&library_.get_alias<const PluginDescriptor>("kcube_plugin")) {
    REQUIRE(descriptor_->abi_version == kAbiVersion);
    REQUIRE(descriptor_->kind == PluginKind::model_profile);
  }

  /// The plugin's descriptor, as the library exports it.
  const PluginDescriptor& descriptor() const { return *descriptor_; }

  /// The plugin's parameter schema.
  std::span<const ParamSpec> schema() const {
    return {descriptor_->params, descriptor_->param_count};
  }

  /// What the host's validation says about `values` (problems, or canonical params with defaults).
  ParamCheck check(const ParamValues& values) const {
    std::vector<RawParam> raw;
    for (const auto& [key, value] : values)
      raw.push_back({key, value, "test", ""});
    return check_params(schema(), raw);
  }

  /// The profile made from `values` after the host's validation, which must pass.
  std::unique_ptr<PluginObject> create(const ParamValues& values) const {
    const ParamCheck checked = check(values);
    for (const ParamProblem& problem : checked.problems)
      FAIL_CHECK("parameter ", problem.key, ": ", problem.message);
    REQUIRE(checked.problems.empty());
    return descriptor_->create(checked.params);
  }

 private:
  boost::dll::shared_library library_;
  const PluginDescriptor* descriptor_;
};

/// A profile made by a plugin library, which it keeps loaded while the profile lives.
class LoadedProfile {
 public:
  /// Loads kcube-model-profile-<name>.so and makes the profile from `values`.
  LoadedProfile(const std::string& name, const ParamValues& values)
      : library_(std::make_shared<ProfileLibrary>(name)), object_(library_->create(values)) {
    profile_ = dynamic_cast<const ModelProfile*>(object_.get());
    REQUIRE(profile_ != nullptr);
  }

  /// The profile.
  const ModelProfile& operator*() const { return *profile_; }
  const ModelProfile* operator->() const { return profile_; }

 private:
  // Declared first so it is destroyed last: the object's code lives in the library.
  std::shared_ptr<ProfileLibrary> library_;
  std::unique_ptr<PluginObject> object_;
  const ModelProfile* profile_ = nullptr;
};

/// Shortest round-trip text of `value`, as the host would store it.
inline std::string param_text(double value) {
  return text::format_real(value);
}

/// The `gaussian` plugin's parameters for paper profile `p` (token lengths left to the defaults,
/// which are the paper's).
inline ParamValues gaussian_params(const PaperProfile& p) {
  return {{"c_in", param_text(p.c_in)},
          {"c_out", param_text(p.c_out)},
          {"t_in", param_text(p.t_in)},
          {"t_out", param_text(p.t_out)},
          {"acc_mean", param_text(p.acc_mean)},
          {"acc_std", param_text(p.acc_std)},
          {"display_name", p.name}};
}

/// A `gaussian` profile.
inline LoadedProfile gaussian(const ParamValues& values) {
  return {"gaussian", values};
}

}  // namespace kcube::test
