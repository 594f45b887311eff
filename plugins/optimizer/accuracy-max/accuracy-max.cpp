// accuracy-max: the feasible k with the highest expected accuracy, or the smallest feasible k
// within a tolerance of it. See README.md.
#include <cassert>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "kcube/kcube.hpp"

namespace {

/// How far below the best accuracy a pick may lie.
enum class Rule {
  best,    ///< At most `tolerance` below (0: the most accurate k itself).
  one_se,  ///< At most one standard error (`accuracy_se` of the best row) below.
};

/// Parameter schema: an absolute tolerance and the rule, both defaulted so that the plugin
/// without parameters picks exactly as version 1.0.0 did.
constexpr kcube::ParamSpec accuracy_max_params[] = {
    {.key = "tolerance",
     .type = kcube::ParamType::real,
     .default_value = "0",
     .min = 0.0,
     .max = 1.0,
     .doc = "absolute accuracy the pick may lie below the best feasible accuracy: the smallest "
            "feasible k within it is picked (0: the most accurate k)",
     .max_exclusive = true},
    {.key = "rule",
     .type = kcube::ParamType::enumeration,
     .default_value = "best",
     .choices = "best|one-se",
     .doc = "best: the margin is `tolerance`; one-se: the margin is the accuracy_se of the most "
            "accurate feasible k (the one-standard-error rule; needs an accuracy_se column)"},
};

/// The Rule named by a validated `rule` value.
Rule parse_rule(const std::string& text) {
  if (text == "one-se") {
    return Rule::one_se;
  }
  // The host validated the value against the schema's choices.
  assert(text == "best");
  return Rule::best;
}

/// Absolute slack added to a positive margin, so that a decimal boundary such as 0.8 - 0.7
/// against a tolerance of 0.1 is not decided by binary rounding. A margin of 0 gets none: it
/// keeps exact ties only.
constexpr double kRoundingSlack = 1e-12;

/// "saves $0.012 (-45 %)", "costs $0.012 more (+45 %)" or "the same cost": the change from
/// `best` to `picked` of a metric written with `prefix` and `suffix` around its value. The
/// percentage is left out when `best` is 0.
std::string change_text(double best, double picked, const std::string& prefix,
                        const std::string& suffix, const std::string& metric) {
  const double saved = best - picked;
  if (saved == 0.0) {
    return "the same " + metric;
  }
  std::string text = saved > 0.0 ? "saves " : (metric == "cost" ? "costs " : "takes ");
  text += prefix + kcube::format_number(std::fabs(saved), 3) + suffix;
  if (saved < 0.0) {
    text += " more";
  }
  if (best > 0.0) {
    const double percent = -100.0 * saved / best;
    text +=
        std::string(" (") + (percent > 0.0 ? "+" : "") + kcube::format_number(percent, 3) + " %)";
  }
  return text;
}

/// `picked` and `best` with 4 significant digits, or as many more (up to 12) as it takes to
/// tell them apart: 0.97 and 0.98, but 0.999999996 and 1.
std::pair<std::string, std::string> distinct_texts(double picked, double best) {
  int digits = 4;
  while (digits < 12 && picked != best &&
         kcube::format_number(picked, digits) == kcube::format_number(best, digits)) {
    ++digits;
  }
  return {kcube::format_number(picked, digits), kcube::format_number(best, digits)};
}

/// What picking `picked` instead of `best` changes in cost and latency per request:
/// "saves $0.2 (-50 %) and 20 s (-50 %) per request".
std::string changes_text(const kcube::Candidate& best, const kcube::Candidate& picked) {
  const std::string cost = change_text(best.cost, picked.cost, "$", "", "cost");
  std::string latency = change_text(best.latency, picked.latency, "", " s", "latency");
  const std::string saves = "saves ";
  if (cost.rfind(saves, 0) == 0 && latency.rfind(saves, 0) == 0) {
    latency.erase(0, saves.size());
  }
  return cost + " and " + latency + " per request";
}

/// Picks the most accurate feasible candidate, or with a tolerance or the one-se rule the
/// smallest feasible k whose accuracy is within the margin of it; score = the pick's accuracy
/// (dimensionless, in [0, 1]).
class AccuracyMax final : public kcube::Optimizer {
 public:
  /// Reads `tolerance` and `rule`; refuses a positive tolerance together with rule=one-se,
  /// which would give two margins.
  explicit AccuracyMax(const kcube::Params& params)
      : tolerance_(kcube::get_real(params, "tolerance")),
        rule_(parse_rule(kcube::get_string(params, "rule"))) {
    // The host validated the bounds; this guards a factory called without it.
    if (!(tolerance_ >= 0.0 && tolerance_ < 1.0)) {
      throw kcube::Error("tolerance=" + kcube::format_number(tolerance_) +
                         " is not an absolute accuracy in [0, 1); give e.g. tolerance=0.01");
    }
    if (rule_ == Rule::one_se && tolerance_ > 0.0) {
      throw kcube::Error("tolerance=" + kcube::format_number(tolerance_) +
                         " and rule=one-se both set how far below the best accuracy the pick "
                         "may lie; give one of them: tolerance=" +
                         kcube::format_number(tolerance_) +
                         " alone (rule=best), or rule=one-se alone (tolerance 0)");
    }
  }

  /// The feasible candidate with the highest accuracy (ties go to the smallest k), or the
  /// smallest feasible k within the margin of it. Throws kcube::Error for rule=one-se on a table
  /// without an accuracy_se column; the host reports it as status error.
  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    const auto& rows = problem.table.rows;
    const std::vector<double>* se = nullptr;
    if (rule_ == Rule::one_se) {
      // Checked before feasibility so that every cell of a study fails the same way.
      se = problem.table.column("accuracy_se");
      if (se == nullptr) {
        throw kcube::Error(
            "rule=one-se reads the candidate table's accuracy_se column, and this table has "
            "none; the monte-carlo evaluator writes it (the exact evaluator has no sampling "
            "error), a CSV for kcube select may carry it, or use tolerance=<absolute accuracy> "
            "instead of rule=one-se");
      }
    }
    if (problem.feasible.empty()) {
      return {kcube::SelectionStatus::infeasible, {}, {}, "no candidate satisfies the budgets"};
    }
    // `feasible` runs in increasing k, so replacing only on a strictly higher accuracy keeps
    // the smallest k among ties.
    std::size_t best = problem.feasible.front();
    for (std::size_t row : problem.feasible) {
      if (rows[row].accuracy > rows[best].accuracy) {
        best = row;
      }
    }
    const double best_accuracy = rows[best].accuracy;
    const std::string count = std::to_string(problem.feasible.size());
    if (rule_ == Rule::best && tolerance_ == 0.0) {
      return {kcube::SelectionStatus::selected, rows[best].k, best_accuracy,
              "highest expected accuracy " + kcube::format_number(best_accuracy, 4) + " among " +
                  count + " feasible candidates"};
    }

    double margin = tolerance_;
    std::string margin_text = "the tolerance " + kcube::format_number(tolerance_);
    if (rule_ == Rule::one_se) {
      margin = (*se)[best];
      if (!(margin >= 0.0 && std::isfinite(margin))) {
        throw kcube::Error("the accuracy_se of k = " + std::to_string(rows[best].k) + " is " +
                           kcube::format_number(margin) +
                           "; a standard error must be finite and >= 0: fix the candidate table");
      }
      margin_text = "one standard error (" + kcube::format_number(margin, 3) + ")";
    }
    const double slack = margin > 0.0 ? kRoundingSlack : 0.0;
    // The first feasible row within the margin: the smallest such k (`best` itself qualifies).
    std::size_t pick = best;
    for (std::size_t row : problem.feasible) {
      if (best_accuracy - rows[row].accuracy <= margin + slack) {
        pick = row;
        break;
      }
    }
    const kcube::Candidate& p = rows[pick];
    const kcube::Candidate& b = rows[best];
    if (pick == best) {
      return {kcube::SelectionStatus::selected, p.k, p.accuracy,
              "highest expected accuracy " + kcube::format_number(best_accuracy, 4) + " among " +
                  count + " feasible candidates, at k = " + std::to_string(b.k) +
                  "; no smaller feasible k is within " + margin_text + " of it"};
    }
    const auto [picked_text, best_text] = distinct_texts(p.accuracy, best_accuracy);
    return {kcube::SelectionStatus::selected, p.k, p.accuracy,
            "k = " + std::to_string(p.k) + ": accuracy " + picked_text + ", " +
                kcube::format_number(best_accuracy - p.accuracy, 3) +
                " below the best feasible, k = " + std::to_string(b.k) + " (" + best_text +
                "), within " + margin_text + "; " + changes_text(b, p)};
  }

 private:
  double tolerance_;
  Rule rule_;
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "accuracy-max",
    .version = "1.1.0",
    .summary =
        "the feasible k with the highest expected accuracy, or the smallest k within a "
        "tolerance of it",
    .params = accuracy_max_params,
    .param_count = std::size(accuracy_max_params),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<AccuracyMax>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
