// pass-at-k: a perfect verifier. See README.md.
#include <cstddef>
#include <cstdint>

#include "kcube/kcube.hpp"

namespace {

/// accuracy(j) = 1 - prod_{i <= j} (1 - a_i): some sample is correct and the verifier finds it.
class PassAtK final : public kcube::Aggregator {
 public:
  explicit PassAtK(const kcube::Params& /*params*/) {}

  kcube::SampleFields needs() const override { return {}; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double all_wrong = 1.0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      all_wrong *= 1.0 - path[j].accuracy;
      accuracy[j] = 1.0 - all_wrong;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }

  bool has_exact() const override { return true; }
  // Logged samples are correct (1) or not (0): the mean over k-subsets is pass@k.
  void exact_curve(std::span<const kcube::InferenceOutcome> samples,
                   std::span<double> accuracy) const override {
    kcube::pass_at_k_curve(samples, accuracy);
  }
  IidForm iid_form() const override { return IidForm::any_correct; }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "pass-at-k",
    .version = "1.0.0",
    .summary = "a perfect verifier: the probability that at least one of the k samples is correct",
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<PassAtK>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
