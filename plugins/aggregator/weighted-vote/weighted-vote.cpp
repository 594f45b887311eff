// weighted-vote: answers weighted by their samples' scores. See README.md.
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "kcube/kcube.hpp"

namespace {

/// accuracy(j) = the answer whose samples' scores sum highest among the first j is correct,
/// ties split uniformly; samples without an answer count for nothing.
class WeightedVote final : public kcube::Aggregator {
 public:
  explicit WeightedVote(const kcube::Params& /*params*/) {}

  kcube::SampleFields needs() const override { return {.answers = true, .scores = true}; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    struct Answer {
      double total;
      double accuracy;
    };
    std::unordered_map<std::uint32_t, Answer> answers;
    for (std::size_t j = 0; j < path.size(); ++j) {
      const auto& s = path[j];
      if (s.answer != 0) {
        auto [it, fresh] = answers.try_emplace(s.answer, Answer{0.0, s.accuracy});
        it->second.total += s.score;
      }
      // Scores may be negative, so a total can fall: the leaders are found again each time.
      // O(answers) per sample; answers are few next to samples in a voting request.
      bool any = false;
      double top = 0.0, tied_accuracy = 0.0;
      std::int64_t tied = 0;
      for (const auto& [id, a] : answers) {
        if (!any || a.total > top) {
          any = true;
          top = a.total;
          tied = 1;
          tied_accuracy = a.accuracy;
        } else if (a.total == top) {
          ++tied;
          tied_accuracy += a.accuracy;
        }
      }
      accuracy[j] = any ? tied_accuracy / static_cast<double>(tied) : 0.0;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "weighted-vote",
    .version = "1.0.0",
    .summary = "the answer whose samples' verifier scores sum highest, ties split",
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<WeightedVote>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
