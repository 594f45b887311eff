// kcube public SDK: the scenario interface, a deployment and the budgets a pick must respect.
#pragma once

#include <limits>
#include <string>
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

/// The hardware side of a scenario: how many inferences run at once and which k are considered.
struct Deployment {
  /// Inferences that run concurrently (P >= 1).
  int parallelism = 1;
  /// Largest k considered.
  int k_max = 128;
  /// k runs over k_step, 2 k_step, ... <= k_max.
  int k_step = 1;
  /// Latency aggregation of the simulation engine.
  LatencyModel latency_model = LatencyModel::mean_wave;

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
