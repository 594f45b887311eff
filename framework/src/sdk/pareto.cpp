#include "kcube/pareto.hpp"

#include <algorithm>
#include <iterator>
#include <map>

namespace kcube {

bool dominates(const Candidate& a, const Candidate& b) noexcept {
  const bool no_worse = a.cost <= b.cost && a.latency <= b.latency && a.accuracy >= b.accuracy;
  const bool better = a.cost < b.cost || a.latency < b.latency || a.accuracy > b.accuracy;
  return no_worse && better;
}

// Sweep in order of increasing cost (ties: increasing latency, then decreasing accuracy), so a
// point can only be dominated by one seen before it, or by an identical point (which does not
// dominate). A staircase over (latency, accuracy) of the points seen so far answers "is there an
// earlier point with latency <= t and accuracy >= a?" in O(log n): on the staircase, accuracy
// increases with latency, so the answer is the entry with the largest latency <= t.
std::vector<std::size_t> pareto_set(std::span<const Candidate> rows,
                                    std::span<const std::size_t> subset) {
  std::vector<std::size_t> order(subset.begin(), subset.end());
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
    const Candidate& a = rows[i];
    const Candidate& b = rows[j];
    if (a.cost != b.cost)
      return a.cost < b.cost;
    if (a.latency != b.latency)
      return a.latency < b.latency;
    if (a.accuracy != b.accuracy)
      return a.accuracy > b.accuracy;
    return i < j;
  });

  std::map<double, double> staircase;  // latency -> best accuracy among points seen
  std::vector<std::size_t> front;
  std::size_t g = 0;
  while (g < order.size()) {
    // A group of identical points shares one verdict and enters the staircase once.
    std::size_t end = g + 1;
    const Candidate& p = rows[order[g]];
    while (end < order.size() && rows[order[end]].cost == p.cost &&
           rows[order[end]].latency == p.latency && rows[order[end]].accuracy == p.accuracy) {
      ++end;
    }
    bool dominated = false;
    auto above = staircase.upper_bound(p.latency);
    if (above != staircase.begin() && std::prev(above)->second >= p.accuracy)
      dominated = true;
    if (!dominated) {
      for (std::size_t i = g; i < end; ++i)
        front.push_back(order[i]);
      // Insert p and drop staircase entries it makes redundant (latency >= p's, accuracy <= p's).
      auto it = staircase.lower_bound(p.latency);
      while (it != staircase.end() && it->second <= p.accuracy)
        it = staircase.erase(it);
      staircase.emplace(p.latency, p.accuracy);
    }
    g = end;
  }
  std::sort(front.begin(), front.end());
  return front;
}

}  // namespace kcube
