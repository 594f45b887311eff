// esc: early-stopping self-consistency (Li et al. 2024). See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "kcube/kcube.hpp"

namespace {

constexpr kcube::ParamSpec esc_params[] = {
    {.key = "window",
     .type = kcube::ParamType::integer,
     .default_value = "5",
     .min = 1,
     .max = 1000000,
     .doc = "samples per window; sampling stops after the first full window whose samples all "
            "give the same answer"},
};

/// Samples in windows of `window`; stops after the first full window in which every sample
/// gives the same (non-empty) answer. Allowed j samples, it draws
///   used(j) = s   when the first such window ends at sample s <= j,
///   used(j) = j   otherwise (a last, partial window never stops it),
/// and answers with the plurality of all samples drawn: accuracy(j) = majority(used(j)).
class Esc final : public kcube::Aggregator {
 public:
  explicit Esc(const kcube::Params& params)
      : window_(static_cast<std::size_t>(kcube::get_int(params, "window"))) {}

  kcube::SampleFields needs() const override { return {.answers = true}; }
  bool stops_early() const override { return true; }

  void aggregate(std::span<const kcube::InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    // The plurality curve of every prefix, then the stop.
    kcube::PluralityTally tally;
    std::size_t stop = path.size() + 1;  // samples drawn at the first stop, or none
    for (std::size_t j = 0; j < path.size(); ++j) {
      tally.add(path[j]);
      accuracy[j] = tally.accuracy();
      const bool window_ends = (j + 1) % window_ == 0;
      if (stop > path.size() && window_ends) {
        const auto first = path.begin() + static_cast<std::ptrdiff_t>(j + 1 - window_);
        const auto last = path.begin() + static_cast<std::ptrdiff_t>(j + 1);
        const std::uint32_t answer = first->answer;
        if (answer != 0 && std::all_of(first, last, [answer](const kcube::InferenceOutcome& s) {
              return s.answer == answer;
            }))
          stop = j + 1;
      }
    }
    for (std::size_t j = 0; j < path.size(); ++j) {
      const std::size_t drawn = stop <= j + 1 ? stop : j + 1;
      used[j] = static_cast<std::int32_t>(drawn);
      accuracy[j] = accuracy[drawn - 1];
    }
  }

 private:
  std::size_t window_;
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::aggregator,
    .name = "esc",
    .version = "1.0.0",
    .summary = "early-stopping self-consistency: windows of samples until one window agrees",
    .params = esc_params,
    .param_count = std::size(esc_params),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<Esc>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
