// kcube public SDK: exact Pareto filtering of candidates.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "kcube/candidate.hpp"

namespace kcube {

/// True when `a` dominates `b`: no worse in every objective (cost and latency lower is better,
/// accuracy higher is better) and strictly better in at least one. Identical points do not
/// dominate each other.
bool dominates(const Candidate& a, const Candidate& b) noexcept;

/// Indices (into `rows`) of the members of `subset` that no other member of `subset` dominates,
/// in increasing index order. Exact comparisons; duplicates of a non-dominated point are all kept.
/// O(n log n) for n = subset.size().
std::vector<std::size_t> pareto_set(std::span<const Candidate> rows,
                                    std::span<const std::size_t> subset);

}  // namespace kcube
