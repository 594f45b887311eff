// majority-vote: self-consistency, the most frequent answer. See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

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

  /// Exact on a profile that computes the expected accuracy of a plurality itself (its samples
  /// correlated through the question: `difficulty`).
  IidForm iid_form() const override { return IidForm::plurality; }

  bool has_exact() const override { return true; }
  void exact_curve(std::span<const kcube::InferenceOutcome> samples,
                   std::span<double> accuracy) const override {
    std::unordered_map<std::uint32_t, kcube::AnswerGroup> by_answer;
    std::int64_t empty = 0;
    for (const auto& s : samples) {
      if (s.answer == 0) {
        ++empty;
        continue;
      }
      kcube::AnswerGroup& group = by_answer[s.answer];
      ++group.size;
      group.correct = s.accuracy > 0.5;
    }
    std::vector<kcube::AnswerGroup> groups;
    groups.reserve(by_answer.size());
    for (const auto& [answer, group] : by_answer)
      groups.push_back(group);
    const std::vector<double> curve =
        kcube::majority_vote_curve(groups, empty, static_cast<std::int64_t>(accuracy.size()));
    std::copy(curve.begin(), curve.end(), accuracy.begin());
  }
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "majority-vote",
    .version = "1.1.0",
    .summary = "self-consistency: the most frequent answer among the k samples, ties split",
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<MajorityVote>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
