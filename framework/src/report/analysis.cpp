#include "report/analysis.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "kcube/error.hpp"
#include "kcube/geometry.hpp"
#include "kcube/pareto.hpp"

namespace kcube::report {

namespace {

/// "k from 1 to 16 in 16 rows" (or "no rows"), for messages about a table's k values.
std::string describe_k_values(const CandidateTable& table) {
  if (table.rows.empty())
    return "no rows";
  return "k from " + std::to_string(table.rows.front().k) + " to " +
         std::to_string(table.rows.back().k) + " in " + std::to_string(table.rows.size()) + " rows";
}

/// The row of `table` (strictly increasing k) whose k is `k`; nullptr when there is none.
const Candidate* find_k(const CandidateTable& table, int k) {
  const auto it = std::lower_bound(table.rows.begin(), table.rows.end(), k,
                                   [](const Candidate& c, int value) { return c.k < value; });
  return it != table.rows.end() && it->k == k ? &*it : nullptr;
}

/// The row of the reference table with k = `k`, or a RuntimeFailure saying that `what` (e.g.
/// "replication 3's pick") names a k the reference does not have.
const Candidate& reference_row(const CandidateTable& table, int k, const std::string& what) {
  const Candidate* row = find_k(table, k);
  if (row == nullptr) {
    throw RuntimeFailure("stability: " + what + " is k = " + std::to_string(k) +
                         ", which the exact reference table does not have (it has " +
                         describe_k_values(table) +
                         "): the run and the reference disagree on the deployment's k values");
  }
  return *row;
}

/// Fills the fields of `s` that need the exact reference.
void add_reference(Stability& s, std::span<const std::optional<int>> picks,
                   const ExactReference& reference) {
  assert(reference.table != nullptr && "an exact reference always comes with its table");
  const CandidateTable& table = *reference.table;
  s.exact_k = reference.k;
  if (!picks.empty()) {
    const auto matches = std::count(picks.begin(), picks.end(), reference.k);
    s.p_exact = static_cast<double>(matches) / static_cast<double>(picks.size());
  }

  const Candidate* optimum =
      reference.k ? &reference_row(table, *reference.k, "the exact optimum") : nullptr;
  // Every pick is looked up, even without an optimum to compare with, so that a run and a
  // reference on different k grids are always reported rather than silently summarised.
  double accuracy_sum = 0.0, cost_sum = 0.0, latency_sum = 0.0;
  int picked = 0;
  for (std::size_t i = 0; i < picks.size(); ++i) {
    if (!picks[i])
      continue;
    const Candidate& c =
        reference_row(table, *picks[i], "replication " + std::to_string(i) + "'s pick");
    if (optimum == nullptr)
      continue;
    // Regret: A(k*) - A(k), C(k) - C(k*), T(k) - T(k*); positive = worse than the optimum.
    accuracy_sum += optimum->accuracy - c.accuracy;
    cost_sum += c.cost - optimum->cost;
    latency_sum += c.latency - optimum->latency;
    ++picked;
  }
  if (picked > 0) {
    const double n = static_cast<double>(picked);
    s.regret_accuracy = accuracy_sum / n;
    s.regret_cost = cost_sum / n;
    s.regret_latency = latency_sum / n;
  }
}

/// Throws when an input's feasibility or extra columns do not match its rows, or when a value
/// cannot be ordered (NaN).
void check_pool_input(const PoolInput& input) {
  assert(input.table != nullptr && input.feasible != nullptr && "callers fill every input");
  const std::size_t n = input.table->rows.size();
  const std::string who = "pool: profile '" + input.profile + "'";
  if (input.feasible->size() != n) {
    throw RuntimeFailure(who + " has " + std::to_string(input.feasible->size()) +
                         " feasibility flags for " + std::to_string(n) +
                         " candidates; assess every candidate of the table");
  }
  for (const auto& [name, values] : input.table->columns) {
    if (values.size() != n) {
      throw RuntimeFailure(who + " has " + std::to_string(values.size()) + " values in column '" +
                           name + "' for " + std::to_string(n) + " candidates");
    }
  }
  for (const Candidate& c : input.table->rows) {
    const char* nan_field = std::isnan(c.cost)       ? "cost"
                            : std::isnan(c.latency)  ? "latency"
                            : std::isnan(c.accuracy) ? "accuracy"
                                                     : nullptr;
    if (nan_field != nullptr) {
      throw RuntimeFailure(who + ", k = " + std::to_string(c.k) + ": the " + nan_field +
                           " is NaN, so the candidate cannot be ordered or compared");
    }
  }
}

/// Names of the extra columns that every input has (none without inputs).
std::vector<std::string> shared_columns(std::span<const PoolInput> inputs) {
  std::vector<std::string> names;
  if (inputs.empty())
    return names;
  for (const auto& entry : inputs.front().table->columns) {
    const std::string& name = entry.first;
    const bool everywhere = std::all_of(inputs.begin(), inputs.end(), [&](const PoolInput& in) {
      return in.table->column(name) != nullptr;
    });
    if (everywhere)
      names.push_back(name);
  }
  return names;
}

/// A pooled row's values with the profile's k in place of the pool rank.
Candidate with_profile_k(const Pool& pool, std::size_t row) {
  Candidate c = pool.table.rows[row];
  c.k = pool.origin[row].k;
  return c;
}

/// Index (into the pool) of the cheapest feasible row of another profile than `reference`'s
/// whose accuracy is at least the reference's; ties go to the lower latency, then the earlier
/// input, then the smaller k. Empty when there is none.
std::optional<std::size_t> cheapest_alternative(const Pool& pool, std::size_t reference) {
  const Candidate& ref = pool.table.rows[reference];
  std::optional<std::size_t> best;
  // feasible_rows runs in pool order (cost, then input, then k), so replacing only on a strictly
  // lower cost, or an equal cost and a strictly lower latency, settles the remaining ties by
  // input order and then k. Only strictly cheaper rows qualify: a candidate that costs as much
  // or more is no cheaper alternative, however accurate.
  for (std::size_t row : pool.feasible_rows) {
    const Candidate& c = pool.table.rows[row];
    if (pool.origin[row].input == pool.origin[reference].input || c.accuracy < ref.accuracy ||
        !(c.cost < ref.cost))
      continue;
    if (!best) {
      best = row;
      continue;
    }
    const Candidate& b = pool.table.rows[*best];
    if (c.cost < b.cost || (c.cost == b.cost && c.latency < b.latency))
      best = row;
  }
  return best;
}

/// `numerator / denominator`, empty when the denominator is 0.
std::optional<double> ratio(double numerator, double denominator) {
  if (denominator == 0.0)
    return std::nullopt;
  return numerator / denominator;
}

}  // namespace

Stability stability(std::span<const std::optional<int>> picks, const ExactReference* reference) {
  Stability s;
  s.replications = static_cast<int>(picks.size());
  std::map<int, int> counts;  // picked k -> replications; ordered, so ties go to the smallest k
  for (const auto& pick : picks) {
    if (pick)
      ++counts[*pick];
    else
      ++s.no_pick;
  }
  if (!counts.empty()) {
    s.k_min = counts.begin()->first;
    s.k_max = counts.rbegin()->first;
    for (const auto& [k, count] : counts) {
      if (count > s.modal_count) {
        s.modal_k = k;
        s.modal_count = count;
      }
    }
  }
  if (reference != nullptr)
    add_reference(s, picks, *reference);
  return s;
}

Pool pool(std::span<const PoolInput> inputs) {
  for (const PoolInput& input : inputs)
    check_pool_input(input);

  // (input, row) of every candidate, in pool order: cost, then input order, then k.
  std::vector<std::pair<std::size_t, std::size_t>> order;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::size_t row = 0; row < inputs[i].table->rows.size(); ++row)
      order.emplace_back(i, row);
  }
  const auto candidate = [&](const std::pair<std::size_t, std::size_t>& at) -> const Candidate& {
    return inputs[at.first].table->rows[at.second];
  };
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const Candidate& ca = candidate(a);
    const Candidate& cb = candidate(b);
    if (ca.cost != cb.cost)
      return ca.cost < cb.cost;
    if (a.first != b.first)
      return a.first < b.first;
    return ca.k < cb.k;
  });

  Pool out;
  out.table.rows.reserve(order.size());
  out.origin.reserve(order.size());
  out.feasible.reserve(order.size());
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    const auto [input, row] = order[rank];
    Candidate c = candidate(order[rank]);
    out.origin.push_back({input, inputs[input].profile, c.k, row});
    c.k = static_cast<int>(rank + 1);
    out.table.rows.push_back(c);
    const bool feasible = (*inputs[input].feasible)[row];
    out.feasible.push_back(feasible);
    if (feasible)
      out.feasible_rows.push_back(rank);
  }
  for (const std::string& name : shared_columns(inputs)) {
    std::vector<double> values;
    values.reserve(order.size());
    for (const auto& [input, row] : order)
      values.push_back((*inputs[input].table->column(name))[row]);
    out.table.columns.emplace(name, std::move(values));
  }
  out.pareto = pareto_set(out.table.rows, out.feasible_rows);
  return out;
}

std::vector<CheaperAlternative> cheaper_alternatives(const Pool& pool,
                                                     std::span<const ReferencePick> picks) {
  std::map<std::pair<std::size_t, int>, std::size_t> row_of;  // (input, profile k) -> pool row
  for (std::size_t row = 0; row < pool.origin.size(); ++row)
    row_of.emplace(std::make_pair(pool.origin[row].input, pool.origin[row].k), row);

  std::vector<CheaperAlternative> result;
  result.reserve(picks.size());
  for (const ReferencePick& pick : picks) {
    const auto found = row_of.find({pick.input, pick.k});
    if (found == row_of.end()) {
      const auto same_input =
          std::find_if(pool.origin.begin(), pool.origin.end(),
                       [&](const PoolOrigin& o) { return o.input == pick.input; });
      const std::string who =
          same_input == pool.origin.end()
              ? "input " + std::to_string(pick.input) + ", which has no rows in the pool"
              : "profile '" + same_input->profile + "'";
      throw RuntimeFailure("cheaper_alternatives: the reference pick k = " +
                           std::to_string(pick.k) + " of " + who + " is not a row of the pool");
    }
    const std::size_t reference = found->second;
    CheaperAlternative line;
    line.reference = pool.origin[reference];
    line.reference_values = with_profile_k(pool, reference);
    if (const auto alternative = cheapest_alternative(pool, reference)) {
      line.alternative = pool.origin[*alternative];
      line.alternative_values = with_profile_k(pool, *alternative);
      line.cost_ratio = ratio(line.alternative_values.cost, line.reference_values.cost);
      line.latency_ratio = ratio(line.alternative_values.latency, line.reference_values.latency);
    }
    result.push_back(std::move(line));
  }
  return result;
}

SamplingSummary summarise(std::span<const Stability> groups, std::span<const int> distinct) {
  if (distinct.size() != groups.size()) {
    throw RuntimeFailure("summarise: " + std::to_string(distinct.size()) +
                         " distinct-outcome counts for " + std::to_string(groups.size()) +
                         " groups; give one count per group");
  }
  SamplingSummary out;
  out.groups = static_cast<int>(groups.size());
  if (groups.empty())
    return out;
  double share_sum = 0.0, distinct_sum = 0.0, p_exact_sum = 0.0, regret_sum = 0.0;
  int p_exact_groups = 0, regret_groups = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const Stability& g = groups[i];
    if (g.replications <= 0) {
      throw RuntimeFailure("summarise: group " + std::to_string(i) +
                           " has no replications, so its modal share is undefined");
    }
    share_sum += static_cast<double>(g.modal_count) / static_cast<double>(g.replications);
    distinct_sum += static_cast<double>(distinct[i]);
    if (g.p_exact) {
      p_exact_sum += *g.p_exact;
      ++p_exact_groups;
    }
    if (g.regret_accuracy) {
      regret_sum += std::abs(*g.regret_accuracy);
      ++regret_groups;
    }
  }
  const double n = static_cast<double>(groups.size());
  out.mean_modal_share = share_sum / n;
  out.mean_distinct = distinct_sum / n;
  if (p_exact_groups > 0)
    out.mean_p_exact = p_exact_sum / static_cast<double>(p_exact_groups);
  if (regret_groups > 0)
    out.mean_abs_regret_accuracy = regret_sum / static_cast<double>(regret_groups);
  return out;
}

int count_distinct(std::span<const std::optional<int>> picks) {
  // std::optional orders "no pick" before every k, so it is one more element of the set.
  const std::set<std::optional<int>> outcomes(picks.begin(), picks.end());
  return static_cast<int>(outcomes.size());
}

double cube_volume(const Candidate& c, const Budget& budget) {
  // The same expression, in the same order, as cube-max's volume() with accuracy_term=raw, so
  // the two agree bit for bit.
  const auto slack = [](double used, double limit) {
    return std::max(0.0, 1.0 - budget_share(used, limit));
  };
  return slack(c.cost, budget.cost_max) * slack(c.latency, budget.latency_max) * c.accuracy;
}

}  // namespace kcube::report
