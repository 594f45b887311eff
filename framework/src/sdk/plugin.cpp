#include "kcube/plugin.hpp"

#include "kcube/aggregator.hpp"
#include "kcube/error.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/optimizer.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

PluginObject::~PluginObject() = default;
Scenario::~Scenario() = default;
Optimizer::~Optimizer() = default;
ModelProfile::~ModelProfile() = default;
Aggregator::~Aggregator() = default;

// The defaults of the optional exact interface: reached only when has_exact() is false and the
// engine's own check was bypassed, which is a programming error in the caller.
double ModelProfile::expected_cost() const {
  throw RuntimeFailure("model profile '" + display_name() + "' has no exact evaluation");
}
double ModelProfile::expected_latency() const {
  throw RuntimeFailure("model profile '" + display_name() + "' has no exact evaluation");
}
double ModelProfile::expected_input_cost() const {
  throw Error("model profile '" + display_name() +
              "' does not split its cost into input and output, so only input_billing: "
              "per-sample works with it in exact evaluation");
}
double ModelProfile::accuracy_cdf(double) const {
  throw RuntimeFailure("model profile '" + display_name() + "' has no exact evaluation");
}
void ModelProfile::expected_accuracy(AccuracyForm, std::span<const int>, std::span<double>) const {
  throw RuntimeFailure("model profile '" + display_name() +
                       "' has no exact accuracy of its own (has_exact_accuracy() is false)");
}
CandidateTable ModelProfile::expected_curve(std::span<const int>, std::vector<std::string>&) const {
  throw RuntimeFailure("model profile '" + display_name() + "' has no measured curve");
}
void Aggregator::exact_curve(std::span<const InferenceOutcome>, std::span<double>) const {
  throw RuntimeFailure("this aggregator has no exact evaluation (has_exact() is false)");
}
Error::~Error() = default;
RuntimeFailure::~RuntimeFailure() = default;

std::string_view to_string(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::model_profile:
      return "model-profile";
    case PluginKind::scenario:
      return "scenario";
    case PluginKind::optimizer:
      return "optimizer";
    case PluginKind::aggregator:
      return "aggregator";
  }
  return "unknown";
}

std::string to_string(const BuildAbi& build) {
  const auto boost = build.boost_version;
  std::string out = "Boost " + std::to_string(boost / 100000) + "." +
                    std::to_string(boost / 100 % 1000) + "." + std::to_string(boost % 100);
  switch (build.std_library) {
    case StdLibrary::libstdcxx:
      return out + ", libstdc++ " + std::to_string(build.std_release) +
             (build.std_abi == 1 ? " (C++11 ABI)" : " (pre-C++11 ABI, _GLIBCXX_USE_CXX11_ABI=0)");
    case StdLibrary::libcxx:
      return out + ", libc++ " + std::to_string(build.std_release) + " (ABI " +
             std::to_string(build.std_abi) + ")";
    case StdLibrary::unknown:
      break;
  }
  return out + ", an unknown C++ standard library (code " +
         std::to_string(static_cast<std::uint32_t>(build.std_library)) + ")";
}

std::string_view to_string(ThreadSafety safety) noexcept {
  switch (safety) {
    case ThreadSafety::shared:
      return "shared";
    case ThreadSafety::per_thread:
      return "per-thread";
    case ThreadSafety::serial:
      return "serial";
  }
  return "unknown";
}

std::string_view to_string(AccuracyForm form) noexcept {
  switch (form) {
    case AccuracyForm::none:
      return "none";
    case AccuracyForm::best_of_k:
      return "best-of-k";
    case AccuracyForm::any_correct:
      return "any-correct";
    case AccuracyForm::plurality:
      return "plurality";
    case AccuracyForm::best_score:
      return "best-score";
  }
  return "unknown";
}

std::string_view to_string(SelectionStatus status) noexcept {
  switch (status) {
    case SelectionStatus::selected:
      return "selected";
    case SelectionStatus::infeasible:
      return "infeasible";
    case SelectionStatus::fallback:
      return "fallback";
    case SelectionStatus::too_few_points:
      return "too-few-points";
    case SelectionStatus::error:
      return "error";
  }
  return "unknown";
}

}  // namespace kcube
