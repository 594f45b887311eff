// Private: the sections of a report, each appended to a Document (report/document.hpp) as
// headings, text and tables, from the data of report/tables.hpp. Shown numbers are rounded for
// reading; every named table also keeps its cells at full precision for its CSV copy.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "report/document.hpp"
#include "report/figures.hpp"
#include "report/tables.hpp"
#include "store/store.hpp"

namespace kcube::report {

/// Whether a pick has a confidence to show: some selection has a bootstrap share, or the run has
/// replications to count picks over.
bool has_pick_confidence(const Index& index);

/// How sure the pick `shown` of `optimizer` for `profile` in `g` is, as shown ("0.62"): the
/// share of question resamples that pick the same k (run.bootstrap); without one, over the
/// replications, the share of the most frequent pick ("0.40 (k = 8)" when it is not `shown`'s);
/// "" when neither exists.
std::string pick_confidence(const Index& index, const Group& g, const std::string& profile,
                            const std::string& optimizer, const NamedSelection& shown);

/// "Provenance": the run's context (times, cells, shard, sampling, seed, build) and its plugins,
/// then the manifest text.
void context_section(Document& doc, const Index& index);

/// "Sweep summary": per scenario, each rule's pick against the swept values, with the sweep
/// figures of `figures` (scenario -> figures) when they were drawn. Nothing without a sweep.
void sweep_section(Document& doc, const Index& index, const ProfileNames& names,
                   const std::vector<SweepSummary>& sweeps,
                   const std::map<std::string, std::vector<DocFigure>>* figures);

/// "Picks per scenario": every rule's pick for every profile (replication 0), with the exact
/// pick where `exact` has one.
void picks_section(Document& doc, const Index& index, const ProfileNames& names,
                   const std::map<ExactKey, ExactCell>& exact);

/// "Aggregators": with several aggregators, per scenario and profile, how each turns the samples
/// into one answer: its accuracy at the largest k (and the samples a stopping policy used there),
/// the k where it is most accurate, and each rule's pick with its accuracy and cost, so that the
/// aggregators' picks can be compared side by side. Nothing with one aggregator.
void aggregators_section(Document& doc, const Index& index, const ProfileNames& names);

/// "Stability over replications": how each pick varies over the replications.
void stability_section(Document& doc, const Index& index, const ProfileNames& names,
                       const std::vector<StabilityEntry>& all, bool with_exact);

/// "Nested against independent sampling": when `store` holds a run of the same manifest that
/// differs only in run.sampling, each rule's stability in both. Nothing otherwise.
void sampling_section(Document& doc, ResultStore& store, const Index& index,
                      const std::vector<StabilityEntry>& own, Plugins& plugins,
                      std::vector<std::string>& notes);

/// "Cross-model view": per group, the pooled Pareto set, each rule on the pool and the cheaper
/// alternatives to each profile's accuracy-max pick.
void cross_model_section(Document& doc, const Index& index, const ProfileNames& names,
                         Plugins& plugins, const std::map<std::string, GroupPool>& pools);

/// "Cells that failed", when some did.
void errors_section(Document& doc, const Index& index, const ProfileNames& names);

/// "Figures": per group, the figures of `plan` (fronts first, then one row per profile).
void figures_section(Document& doc, const Index& index, const FigurePlan& plan);

}  // namespace kcube::report
