// Private: the Recommendation section that opens a report: per scenario (and sweep point) and per
// profile, the k that one rule picks, in one sentence why, with its accuracy, cost, latency and
// how sure the pick is, and what each other rule's pick buys and costs instead.
#pragma once

#include <optional>
#include <string>

#include "report/document.hpp"
#include "report/tables.hpp"

namespace kcube::report {

/// The optimizer whose picks are recommended, and how it was chosen.
struct RecommendRule {
  /// Its manifest key, one of Index::optimizers; empty when the run has no optimizer at all.
  std::string optimizer;
  /// True when it was asked for (--recommend); false for the default or its fallback.
  bool asked = false;
  /// True when the default rule is not in the run and `optimizer` stands in for it.
  bool fallback = false;
  /// Why the stand-in (a sentence for the section), empty otherwise.
  std::string fallback_note;
};

/// Resolves `asked` (an optimizer's manifest key, or empty for the default kDefaultRecommendRule)
/// against the run's optimizers. Without the default in the run: the first optimizer that uses
/// the knee-point plugin, else the first of the manifest, with a note saying so. Throws
/// kcube::Error when `asked` names no optimizer of the run; the message lists the run's ones.
RecommendRule choose_recommend_rule(const Index& index, const std::optional<std::string>& asked);

/// "Recommendation": per group, one row per profile (per profile and aggregator pair when the
/// run has several aggregators) with the pick of `rule` (replication 0), why, its accuracy, cost
/// and latency, its confidence and the other rules' picks relative to it. Each row is a link
/// target with an entry in the HTML table of contents; each table is also tables/
/// recommendation-GROUP.csv at full precision. `plugins` re-creates the scenario for the budget
/// an infeasible pick missed.
void recommendation_section(Document& doc, const Index& index, const ProfileNames& names,
                            Plugins& plugins, const RecommendRule& rule);

}  // namespace kcube::report
