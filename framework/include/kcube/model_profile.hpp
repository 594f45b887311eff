// kcube public SDK: the model-profile interface, an LLM's per-inference outcomes.
//
// A profile works on whole trial paths, never on single draws through a virtual call: the engine
// hands it a RandomStream and a buffer, and it fills the outcomes of consecutive inferences.
// How k outcomes become one request's accuracy (best-of-k, majority vote, ...) is the engine's
// aggregation step, not the profile's.
#pragma once

#include <span>
#include <string>

#include "kcube/plugin.hpp"
#include "kcube/random.hpp"

namespace kcube {

/// The outcome of one inference (one of the k samples of a request).
struct InferenceOutcome {
  /// Cost of this inference, USD.
  double cost = 0.0;
  /// Latency of this inference on its own, seconds.
  double latency = 0.0;
  /// Probability that this inference's answer is correct, in [0, 1].
  double accuracy = 0.0;
};

/// A model profile: the distribution of one inference's cost, latency and accuracy.
class BOOST_SYMBOL_VISIBLE ModelProfile : public PluginObject {
 public:
  ~ModelProfile() override;
  /// Name shown in reports (e.g. "GPT-5 mini"); the plugin name when the profile has none.
  virtual std::string display_name() const = 0;
  /// Fills `path` with the outcomes of path.size() independent inferences, drawing only from
  /// `stream`, in order: path[i] must depend on the stream's draws and nothing else.
  virtual void draw_path(RandomStream& stream, std::span<InferenceOutcome> path) const = 0;
};

}  // namespace kcube
