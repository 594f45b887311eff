// verifier-best: the sample a verifier scores highest. See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kcube/kcube.hpp"

namespace {

/// accuracy(j) = the mean accuracy of the samples with the highest score among the first j
/// (a uniform tie-break among them).
class VerifierBest final : public kcube::Aggregator {
 public:
  explicit VerifierBest(const kcube::Params& /*params*/) {}

  kcube::SampleFields needs() const override { return {.scores = true}; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double top = 0.0;
    double tied_accuracy = 0.0;
    std::int64_t tied = 0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      const auto& s = path[j];
      if (tied == 0 || s.score > top) {
        top = s.score;
        tied = 1;
        tied_accuracy = s.accuracy;
      } else if (s.score == top) {
        ++tied;
        tied_accuracy += s.accuracy;
      }
      accuracy[j] = tied_accuracy / static_cast<double>(tied);
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }

  /// Exact on a profile that computes the expected accuracy of the highest-scored sample itself
  /// (`difficulty` with a score model).
  IidForm iid_form() const override { return IidForm::best_score; }

  bool has_exact() const override { return true; }
  void exact_curve(std::span<const kcube::InferenceOutcome> samples,
                   std::span<double> accuracy) const override {
    std::vector<kcube::ScoredOutcome> scored;
    scored.reserve(samples.size());
    for (const auto& s : samples)
      scored.push_back({.score = s.score, .correct = s.accuracy > 0.5});
    const std::vector<double> curve =
        kcube::verifier_best_curve(scored, static_cast<std::int64_t>(accuracy.size()));
    std::copy(curve.begin(), curve.end(), accuracy.begin());
  }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "verifier-best",
    .version = "1.1.0",
    .summary = "the sample with the highest verifier score among the k, ties split",
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<VerifierBest>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
