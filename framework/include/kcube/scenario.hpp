// kcube public SDK: the scenario interface, a deployment and the budgets a pick must respect.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/candidate.hpp"
#include "kcube/plugin.hpp"

namespace kcube {

/// Per-request budgets. An unbounded budget is +infinity (and 0 for accuracy_min).
struct Budget {
  /// Largest admissible cost per request, USD.
  double cost_max = std::numeric_limits<double>::infinity();
  /// Largest admissible latency per request, seconds.
  double latency_max = std::numeric_limits<double>::infinity();
  /// Smallest admissible accuracy, in [0, 1].
  double accuracy_min = 0.0;
};

/// How the latency of k inferences run P at a time is aggregated (used by the simulation engine).
enum class LatencyModel {
  /// (k / P) * mean(t_i): the paper's model.
  mean_wave = 1,
  /// Sum over the ceil(k / P) waves of each wave's slowest inference: stragglers count.
  max_wave = 2,
};

/// How a provider bills the input (prompt) of the k samples of one request.
enum class InputBilling {
  /// Every sample pays the whole input: the paper's model, k x (input + output).
  per_sample = 1,
  /// The samples come in calls of call_size (an API's `n`); each call pays the input once.
  per_call = 2,
  /// Prompt caching: the first sample writes the cache (cache_write x input), every later
  /// sample reads it (cache_read x input).
  cached = 3,
};

/// How the cost of one request of k samples is billed. The output is always paid per sample;
/// only the input's share changes. Sample i (0-based) of a request pays factor(i) x its input
/// cost plus its output cost.
struct Billing {
  /// How the input is billed.
  InputBilling input_billing = InputBilling::per_sample;
  /// per_call: samples per call (>= 1).
  int call_size = 1;
  /// cached: multiple of the input cost that the first sample pays (writes the cache), >= 0.
  double cache_write = 1.25;
  /// cached: multiple of the input cost that every later sample pays (reads the cache), >= 0.
  double cache_read = 0.1;

  /// The multiple of one sample's input cost that sample i (0-based) of a request pays:
  /// per_sample 1; per_call 1 when i opens a call (i % call_size == 0), else 0; cached
  /// cache_write for i == 0, else cache_read.
  double factor(int i) const {
    switch (input_billing) {
      case InputBilling::per_call:
        return i % call_size == 0 ? 1.0 : 0.0;
      case InputBilling::cached:
        return i == 0 ? cache_write : cache_read;
      case InputBilling::per_sample:
        break;
    }
    return 1.0;
  }
  /// Inputs billed for a request of k >= 0 samples, the sum of factor(i) for i < k:
  /// per_sample k; per_call ceil(k / call_size); cached cache_write + (k - 1) cache_read (0 for
  /// k = 0).
  double inputs_billed(int k) const {
    if (k <= 0)
      return 0.0;
    switch (input_billing) {
      case InputBilling::per_call:
        return static_cast<double>((k + call_size - 1) / call_size);
      case InputBilling::cached:
        return cache_write + static_cast<double>(k - 1) * cache_read;
      case InputBilling::per_sample:
        break;
    }
    return static_cast<double>(k);
  }
  /// Billed cost of sample i (0-based) of a request, USD, from its input cost `input` and total
  /// cost `cost` (InferenceOutcome::input_cost and cost): factor(i) x input + (cost - input);
  /// with per_sample billing exactly `cost`.
  double sample_cost(int i, double input, double cost) const {
    if (input_billing == InputBilling::per_sample)
      return cost;
    return factor(i) * input + (cost - input);
  }
  /// Expected cost of a request of k samples, USD, from one sample's expected input cost
  /// `input` and expected total cost `cost` (input + output):
  ///   inputs_billed(k) x input + k x (cost - input);
  /// with per_sample billing exactly k x cost (input is not read).
  double request_cost(int k, double input, double cost) const {
    if (input_billing == InputBilling::per_sample)
      return static_cast<double>(k) * cost;
    return inputs_billed(k) * input + static_cast<double>(k) * (cost - input);
  }
};

/// "per-sample", "per-call" or "cached": the budget scenario's `input_billing` values.
inline std::string_view to_string(InputBilling billing) noexcept {
  switch (billing) {
    case InputBilling::per_call:
      return "per-call";
    case InputBilling::cached:
      return "cached";
    case InputBilling::per_sample:
      break;
  }
  return "per-sample";
}

/// The hardware side of a scenario: how many inferences run at once, which k are considered and
/// how a request is billed.
struct Deployment {
  /// Inferences that run concurrently (P >= 1).
  int parallelism = 1;
  /// Largest k considered.
  int k_max = 128;
  /// k runs over k_step, 2 k_step, ... <= k_max.
  int k_step = 1;
  /// Latency aggregation of the simulation engine.
  LatencyModel latency_model = LatencyModel::mean_wave;
  /// How the input of the k samples is billed (per sample by default: the paper's cost).
  Billing billing{};

  /// The k grid: k_step, 2 k_step, ..., the largest multiple of k_step <= k_max.
  std::vector<int> k_grid() const {
    std::vector<int> grid;
    for (int k = k_step; k_step > 0 && k <= k_max; k += k_step)
      grid.push_back(k);
    return grid;
  }
  /// True when k is on the grid.
  bool on_grid(int k) const { return k_step > 0 && k >= k_step && k <= k_max && k % k_step == 0; }
};

/// Whether one candidate satisfies the scenario, and if not, why (in words with the numbers).
struct Feasibility {
  /// True when every constraint holds.
  bool feasible = false;
  /// Empty when feasible; otherwise e.g. "cost_p95 0.62 > cost_max 0.5".
  std::string reason;
};

/// A deployment scenario: budgets, the k grid, and the feasibility test of candidates.
class BOOST_SYMBOL_VISIBLE Scenario : public PluginObject {
 public:
  ~Scenario() override;
  /// The budgets the rules score against (the box of the paper's 3D figure).
  virtual Budget budget() const = 0;
  /// Parallelism, k grid and latency model.
  virtual Deployment deployment() const = 0;
  /// Extra candidate columns the feasibility test reads (e.g. "cost_p95"); empty for none.
  virtual std::vector<std::string> required_columns() const = 0;
  /// One verdict per row of `table`, in row order. The host guarantees the required columns exist.
  virtual std::vector<Feasibility> assess(const CandidateTable& table) const = 0;
};

}  // namespace kcube
