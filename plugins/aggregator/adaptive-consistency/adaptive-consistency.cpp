// adaptive-consistency: stop once the leading answer is a likely majority (Aggarwal et al.
// 2023). See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

#include <boost/math/special_functions/beta.hpp>

#include "kcube/kcube.hpp"

namespace {

constexpr kcube::ParamSpec adaptive_params[] = {
    {.key = "min_samples",
     .type = kcube::ParamType::integer,
     .default_value = "3",
     .min = 1,
     .max = 1000000,
     .doc = "samples drawn before the stopping rule is first asked"},
    {.key = "threshold",
     .type = kcube::ParamType::real,
     .default_value = "0.95",
     .min = 0.5,
     .max = 1.0,
     .doc = "stop when P(X > 1/2) reaches it, X ~ Beta(v1 + 1, v2 + 1)",
     .min_exclusive = true,
     .max_exclusive = true},
};

/// After each sample from min_samples on, with v1 >= v2 the two largest answer counts, stops
/// when P(X > 1/2) >= threshold for X ~ Beta(v1 + 1, v2 + 1), i.e. 1 - I_{1/2}(v1 + 1, v2 + 1)
/// (the regularized incomplete beta function). Allowed j samples, it draws used(j) = the first
/// stop s <= j, else j, and answers with the plurality of the samples drawn.
class AdaptiveConsistency final : public kcube::Aggregator {
 public:
  explicit AdaptiveConsistency(const kcube::Params& params)
      : min_samples_(static_cast<std::size_t>(kcube::get_int(params, "min_samples"))),
        threshold_(kcube::get_real(params, "threshold")) {
    // P(X > 1/2) grows with v1 and falls with v2, so for each runner-up count v2 the rule stops
    // exactly when v1 reaches the smallest leader count that satisfies it, and that count grows
    // with v2: one pass finds it for every v2 < kTabled with about 2 kTabled evaluations,
    // instead of one per sample of every path.
    stop_at_.reserve(kTabled);
    std::int32_t v1 = 0;
    for (std::int32_t v2 = 0; v2 < kTabled; ++v2) {
      v1 = std::max(v1, v2);
      while (!confident(v1, v2))
        ++v1;
      stop_at_.push_back(v1);
    }
  }

  kcube::SampleFields needs() const override { return {.answers = true}; }
  bool stops_early() const override { return true; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    kcube::PluralityTally tally;
    std::size_t stop = path.size();  // samples drawn when allowed all of them
    for (std::size_t j = 0; j < path.size(); ++j) {
      tally.add(path[j]);
      accuracy[j] = tally.accuracy();
      if (j + 1 >= min_samples_ && tally.leader_count() > 0 &&
          stops(tally.leader_count(), tally.runner_up_count())) {
        stop = j + 1;
        break;  // later samples are never drawn
      }
    }
    for (std::size_t j = 0; j < path.size(); ++j) {
      const std::size_t drawn = std::min(stop, j + 1);
      used[j] = static_cast<std::int32_t>(drawn);
      accuracy[j] = accuracy[drawn - 1];
    }
  }

 private:
  /// Runner-up counts whose stopping leader count is tabled.
  static constexpr std::int32_t kTabled = 1024;

  /// The rule itself: P(X > 1/2) >= threshold, X ~ Beta(v1 + 1, v2 + 1).
  bool confident(std::int32_t v1, std::int32_t v2) const {
    return 1.0 - boost::math::ibeta(v1 + 1.0, v2 + 1.0, 0.5) >= threshold_;
  }
  bool stops(std::int32_t v1, std::int32_t v2) const {
    return v2 < kTabled ? v1 >= stop_at_[static_cast<std::size_t>(v2)] : confident(v1, v2);
  }

  std::size_t min_samples_;
  double threshold_;
  /// stop_at_[v2]: the smallest v1 >= v2 with confident(v1, v2).
  std::vector<std::int32_t> stop_at_;
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "adaptive-consistency",
    .version = "1.0.0",
    .summary = "majority vote that stops once the leading answer is likely the majority",
    .params = adaptive_params,
    .param_count = std::size(adaptive_params),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<AdaptiveConsistency>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
