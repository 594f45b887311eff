// majority-vote: self-consistency, the most frequent answer. See README.md.
#include <cstddef>
#include <cstdint>

#include "kcube/kcube.hpp"

namespace {

/// accuracy(j) = the plurality answer of the first j samples is correct, ties split uniformly.
class MajorityVote final : public kcube::Aggregator {
 public:
  explicit MajorityVote(const kcube::Params& /*params*/) {}

  kcube::SampleFields needs() const override { return {.answers = true}; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    kcube::PluralityTally tally;
    for (std::size_t j = 0; j < path.size(); ++j) {
      tally.add(path[j]);
      accuracy[j] = tally.accuracy();
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "majority-vote",
    .version = "1.0.0",
    .summary = "self-consistency: the most frequent answer among the k samples, ties split",
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<MajorityVote>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
