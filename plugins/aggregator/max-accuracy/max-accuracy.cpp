// max-accuracy: the paper's best-of-k, a perfect selector. See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kcube/kcube.hpp"

namespace {

/// accuracy(j) = max(a_1, ..., a_j); every sample is drawn.
class MaxAccuracy final : public kcube::Aggregator {
 public:
  explicit MaxAccuracy(const kcube::Params& /*params*/) {}

  kcube::SampleFields needs() const override { return {}; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double best = 0.0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      best = std::max(best, path[j].accuracy);
      accuracy[j] = best;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }

  bool has_exact() const override { return true; }
  // Logged samples are correct (1) or not (0): the mean over k-subsets is pass@k.
  void exact_curve(std::span<const kcube::InferenceOutcome> samples,
                   std::span<double> accuracy) const override {
    kcube::pass_at_k_curve(samples, accuracy);
  }
  IidForm iid_form() const override { return IidForm::best_of_k; }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "max-accuracy",
    .version = "1.0.0",
    .summary = "the paper's best-of-k: the highest accuracy among the k samples",
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<MaxAccuracy>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
