#include "host/checked.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <utility>

#include "host/plugin_call.hpp"
#include "kcube/error.hpp"
#include "util/text.hpp"

namespace kcube {

namespace {

// How a bare profile is named: by its display_name(), or by how that failed.
std::string name_of(const ModelProfile& profile) {
  try {
    return "model profile '" + profile.display_name() + "'";
  } catch (...) {
    return "model profile (whose display_name() failed: " + current_exception_text() + ")";
  }
}

// Why an outcome is invalid, or nullptr.
const char* invalid_outcome(const InferenceOutcome& o) {
  if (!std::isfinite(o.cost) || !std::isfinite(o.latency) || !std::isfinite(o.accuracy)) {
    return "a non-finite value";
  }
  if (o.cost < 0.0)
    return "a negative cost";
  if (o.latency < 0.0)
    return "a negative latency";
  if (o.accuracy < 0.0 || o.accuracy > 1.0)
    return "an accuracy outside [0, 1]";
  if (!(o.input_cost >= 0.0 && o.input_cost <= o.cost))
    return "an input cost outside [0, cost]";
  if (!std::isfinite(o.score))
    return "a non-finite score";
  return nullptr;
}

// Whether invalid_outcome() is nullptr for every outcome of `path`, decided with two running
// values instead of a branch per condition (a path of a thousand outcomes is checked in every
// trial). `low` is the least of the quantities that must be >= 0 (input cost, cost - input cost,
// latency, accuracy, 1 - accuracy; cost >= 0 follows); `probe` stays 0 while every field is
// finite, and 0 x infinity or NaN makes it NaN. A sum that overflows also makes it NaN: then
// false, and the caller's check of each outcome decides.
bool all_valid(std::span<const InferenceOutcome> path) {
  double low = 0.0, probe = 0.0;
  for (const InferenceOutcome& o : path) {
    low = std::min(low, std::min(std::min(o.input_cost, o.cost - o.input_cost),
                                 std::min(o.latency, std::min(o.accuracy, 1.0 - o.accuracy))));
    probe += (o.cost + o.latency + o.accuracy + o.input_cost + o.score) * 0.0;
  }
  return low >= 0.0 && probe == 0.0;
}

// `value` when it is finite and >= 0, else RuntimeFailure naming the profile and `what`.
double checked_expectation(const std::string& who, double value, const char* what,
                           const char* unit) {
  if (!(std::isfinite(value) && value >= 0.0)) {
    throw RuntimeFailure(who + " returned " + what + " = " + text::format_real(value) +
                         "; it must be finite and >= 0 " + unit);
  }
  return value;
}

// Why a budget is no budget, or empty: NaN anywhere, a negative cap, an accuracy floor outside
// [0, 1] (+infinity is an unbounded cap).
std::string budget_problem(const Budget& b) {
  const auto cap = [](const char* name, double value) -> std::string {
    if (std::isnan(value) || value < 0.0)
      return std::string(name) + " = " + text::format_real(value) + " (must be >= 0 or +inf)";
    return {};
  };
  for (auto problem : {cap("cost_max", b.cost_max), cap("latency_max", b.latency_max)}) {
    if (!problem.empty())
      return problem;
  }
  if (!(b.accuracy_min >= 0.0 && b.accuracy_min <= 1.0))
    return "accuracy_min = " + text::format_real(b.accuracy_min) + " (must be in [0, 1])";
  return {};
}

// Why a deployment is unusable, or empty.
std::string deployment_problem(const Deployment& d) {
  const auto model = static_cast<int>(d.latency_model);
  if (d.parallelism < 1)
    return "parallelism " + std::to_string(d.parallelism) + " (must be >= 1)";
  if (d.k_step < 1)
    return "k_step " + std::to_string(d.k_step) + " (must be >= 1)";
  if (d.k_max > std::numeric_limits<int>::max() - d.k_step) {
    // k_grid() steps past k_max before it stops: that step must not overflow.
    return "k_max " + std::to_string(d.k_max) + " (must be at most " +
           std::to_string(std::numeric_limits<int>::max() - d.k_step) + ")";
  }
  if (d.k_max < d.k_step) {
    return "k_max " + std::to_string(d.k_max) + " below k_step " + std::to_string(d.k_step) +
           " (an empty k grid)";
  }
  if (model != static_cast<int>(LatencyModel::mean_wave) &&
      model != static_cast<int>(LatencyModel::max_wave)) {
    return "an unknown latency model (" + std::to_string(model) + ")";
  }
  const Billing& b = d.billing;
  const auto billing = static_cast<int>(b.input_billing);
  if (billing < static_cast<int>(InputBilling::per_sample) ||
      billing > static_cast<int>(InputBilling::cached))
    return "an unknown input billing (" + std::to_string(billing) + ")";
  if (b.call_size < 1)
    return "call_size " + std::to_string(b.call_size) + " (must be >= 1)";
  if (!(std::isfinite(b.cache_write) && b.cache_write >= 0.0 && std::isfinite(b.cache_read) &&
        b.cache_read >= 0.0)) {
    return "cache_write " + text::format_real(b.cache_write) + " and cache_read " +
           text::format_real(b.cache_read) + " (both must be finite and >= 0)";
  }
  return {};
}

// Why a selection breaks the optimizer contract, or empty when it keeps it.
std::string contract_problem(const Selection& s, const SelectionProblem& problem,
                             std::span<const Feasibility> verdicts) {
  const bool wants_k =
      s.status == SelectionStatus::selected || s.status == SelectionStatus::fallback;
  const auto status_value = static_cast<int>(s.status);
  if (s.status == SelectionStatus::error)
    return "returned status error, which only the host sets";
  if (status_value < 1 || status_value > 4) {
    return "returned an unknown status (" + std::to_string(status_value) + ")";
  }
  if (wants_k && !s.k)
    return "returned status " + std::string(to_string(s.status)) + " without k";
  if (!wants_k && s.k) {
    return "returned status " + std::string(to_string(s.status)) +
           " with k = " + std::to_string(*s.k);
  }
  if (s.score && !std::isfinite(*s.score)) {
    return "returned a non-finite score (" + text::format_real(*s.score) + ")";
  }
  if (s.status == SelectionStatus::infeasible && !problem.feasible.empty()) {
    return "returned infeasible although " + std::to_string(problem.feasible.size()) +
           " candidates are feasible";
  }
  if (!s.k)
    return {};
  std::optional<std::size_t> row;
  for (std::size_t i = 0; i < problem.table.rows.size(); ++i) {
    if (problem.table.rows[i].k == *s.k)
      row = i;
  }
  if (!row)
    return "returned k = " + std::to_string(*s.k) + ", which is not a candidate";
  if (!verdicts[*row].feasible) {
    return "returned k = " + std::to_string(*s.k) + ", which is not feasible (" +
           verdicts[*row].reason + ")";
  }
  return {};
}

}  // namespace

// ---- CheckedProfile ----------------------------------------------------------------------------

CheckedProfile::CheckedProfile(const ModelProfile& object, std::string who)
    : object_(&object), who_(who.empty() ? name_of(object) : std::move(who)) {}

std::string CheckedProfile::display_name() const {
  return call_plugin(who_, "display_name", [&] { return object_->display_name(); });
}

void CheckedProfile::draw_path(RandomStream& stream, std::span<InferenceOutcome> path,
                               std::int64_t trial) const {
  try {
    const PluginCallGuard guard(who_, "draw_path");  // an exit() in it stops kcube, named
    object_->draw_path(stream, path);
  } catch (...) {
    throw RuntimeFailure(who_ + " failed in draw_path (trial " + std::to_string(trial) +
                         "): " + current_exception_text());
  }
  if (all_valid(path))
    return;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (const char* problem = invalid_outcome(path[i])) {
      throw RuntimeFailure(who_ + " drew " + problem + " (cost " + text::format_real(path[i].cost) +
                           ", latency " + text::format_real(path[i].latency) + ", accuracy " +
                           text::format_real(path[i].accuracy) + ") in trial " +
                           std::to_string(trial) + ", inference " + std::to_string(i) +
                           "; this is a bug in the profile plugin");
    }
  }
}

SampleFields CheckedProfile::provides() const {
  return call_plugin(who_, "provides", [&] { return object_->provides(); });
}

QuestionLog CheckedProfile::question_log() const {
  const QuestionLog log =
      call_plugin(who_, "question_log", [&] { return object_->question_log(); });
  for (const QuestionSamples& q : log.questions) {
    std::string problem;
    if (q.samples.empty())
      problem = "has no samples";
    for (std::size_t i = 0; i < q.samples.size() && problem.empty(); ++i) {
      const InferenceOutcome& o = q.samples[i];
      if (const char* bad = invalid_outcome(o))
        problem = "has " + std::string(bad) + " in sample " + std::to_string(i);
      else if (o.accuracy != 0.0 && o.accuracy != 1.0)
        problem = "has accuracy " + text::format_real(o.accuracy) + " in sample " +
                  std::to_string(i) + " (logged samples are correct, 1, or not, 0)";
    }
    if (!problem.empty()) {
      throw RuntimeFailure(who_ + ": logged question '" + q.id + "' " + problem +
                           "; this is a bug in the profile plugin");
    }
  }
  return log;
}

bool CheckedProfile::has_exact() const {
  return call_plugin(who_, "has_exact", [&] { return object_->has_exact(); });
}

void CheckedProfile::require_exact() const {
  if (!has_exact()) {
    throw Error(who_ +
                " has no exact evaluation; use the Monte Carlo evaluator (evaluator: "
                "monte-carlo)");
  }
}

double CheckedProfile::expected_cost() const {
  return checked_expectation(
      who_, call_plugin(who_, "expected_cost", [&] { return object_->expected_cost(); }),
      "expected_cost()", "USD");
}

double CheckedProfile::expected_input_cost() const {
  const double input =
      call_plugin(who_, "expected_input_cost", [&] { return object_->expected_input_cost(); });
  checked_expectation(who_, input, "expected_input_cost()", "USD");
  if (const double cost = expected_cost(); input > cost) {
    throw RuntimeFailure(who_ + " returned expected_input_cost() = " + text::format_real(input) +
                         " > expected_cost() = " + text::format_real(cost) +
                         "; the input part cannot exceed the whole; this is a bug in the profile "
                         "plugin");
  }
  return input;
}

double CheckedProfile::expected_latency() const {
  return checked_expectation(
      who_, call_plugin(who_, "expected_latency", [&] { return object_->expected_latency(); }),
      "expected_latency()", "s");
}

double CheckedProfile::accuracy_cdf(double y) const {
  const double f = call_plugin(who_, "accuracy_cdf", [&] { return object_->accuracy_cdf(y); });
  if (!(f >= 0.0 && f <= 1.0)) {
    throw RuntimeFailure(who_ + " returned accuracy_cdf(" + text::format_real(y) +
                         ") = " + text::format_real(f) + ", which is not a probability in [0, 1]");
  }
  return f;
}

std::vector<double> CheckedProfile::accuracy_breakpoints() const {
  return call_plugin(who_, "accuracy_breakpoints", [&] { return object_->accuracy_breakpoints(); });
}

bool CheckedProfile::has_exact_accuracy() const {
  return call_plugin(who_, "has_exact_accuracy", [&] { return object_->has_exact_accuracy(); });
}

void CheckedProfile::expected_accuracy(AccuracyForm form, std::span<const int> ks,
                                       std::span<double> accuracy) const {
  assert(ks.size() == accuracy.size() && "one accuracy per k: the engine sizes both from its grid");
  try {
    const PluginCallGuard guard(who_, "expected_accuracy");  // an exit() in it stops kcube, named
    object_->expected_accuracy(form, ks, accuracy);
  } catch (const Error& e) {
    // The profile cannot serve this aggregation as the user configured it: the user's to fix.
    throw Error(who_ + ": " + e.what());
  } catch (...) {
    throw RuntimeFailure(who_ + " failed in expected_accuracy (" + std::string(to_string(form)) +
                         "): " + current_exception_text());
  }
  for (std::size_t i = 0; i < accuracy.size(); ++i) {
    if (!(accuracy[i] >= 0.0 && accuracy[i] <= 1.0)) {
      throw RuntimeFailure(who_ + " returned an expected " + std::string(to_string(form)) +
                           " accuracy of " + text::format_real(accuracy[i]) +
                           " at k = " + std::to_string(ks[i]) +
                           " (must be in [0, 1]); this is a bug in the profile plugin");
    }
  }
}

bool CheckedProfile::has_curve() const {
  return call_plugin(who_, "has_curve", [&] { return object_->has_curve(); });
}

CandidateTable CheckedProfile::expected_curve(std::span<const int> grid,
                                              std::vector<std::string>& notes) const {
  CandidateTable table;
  try {
    const PluginCallGuard guard(who_, "expected_curve");  // an exit() in it stops kcube, named
    table = object_->expected_curve(grid, notes);
  } catch (const Error& e) {
    // The profile's own table and the deployment do not fit together: the user's to fix.
    throw Error(who_ + ": " + e.what());
  } catch (...) {
    throw RuntimeFailure(who_ + " failed in expected_curve: " + current_exception_text());
  }
  const auto bug = [&](const std::string& what) {
    return RuntimeFailure(who_ + " returned a measured curve " + what +
                          "; this is a bug in the profile plugin");
  };
  if (table.rows.empty())
    throw bug("with no rows (it must serve at least one k of the grid or throw kcube::Error)");
  std::size_t next = 0;  // grid position after the previous row's k
  for (const Candidate& row : table.rows) {
    const auto at =
        std::lower_bound(grid.begin() + static_cast<std::ptrdiff_t>(next), grid.end(), row.k);
    if (at == grid.end() || *at != row.k) {
      throw bug("with k = " + std::to_string(row.k) +
                ", which is not on the deployment's k grid or not in increasing order");
    }
    next = static_cast<std::size_t>(at - grid.begin()) + 1;
    const std::string at_k = " at k = " + std::to_string(row.k);
    if (!(std::isfinite(row.cost) && row.cost >= 0.0))
      throw bug("with cost " + text::format_real(row.cost) + at_k + " (must be finite, >= 0)");
    if (!(std::isfinite(row.latency) && row.latency >= 0.0))
      throw bug("with latency " + text::format_real(row.latency) + at_k +
                " (must be finite, >= 0)");
    if (!(row.accuracy >= 0.0 && row.accuracy <= 1.0))
      throw bug("with accuracy " + text::format_real(row.accuracy) + at_k + " (must be in [0, 1])");
  }
  for (const auto& [name, values] : table.columns) {
    if (values.size() != table.rows.size()) {
      throw bug("whose column '" + name + "' has " + std::to_string(values.size()) +
                " values for " + std::to_string(table.rows.size()) + " rows");
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        throw bug("whose column '" + name + "' is " + text::format_real(values[i]) +
                  " at k = " + std::to_string(table.rows[i].k) + " (must be finite)");
      }
    }
  }
  return table;
}

// ---- CheckedScenario ---------------------------------------------------------------------------

CheckedScenario::CheckedScenario(const Scenario& object, std::string who)
    : object_(&object), who_(std::move(who)) {}

Budget CheckedScenario::budget() const {
  const Budget b = call_plugin(who_, "budget", [&] { return object_->budget(); });
  if (auto problem = budget_problem(b); !problem.empty()) {
    throw RuntimeFailure(who_ + " returned a budget with " + problem +
                         "; this is a bug in the plugin");
  }
  return b;
}

Deployment CheckedScenario::deployment() const {
  const Deployment d = call_plugin(who_, "deployment", [&] { return object_->deployment(); });
  if (auto problem = deployment_problem(d); !problem.empty()) {
    throw RuntimeFailure(who_ + " returned a deployment with " + problem +
                         "; this is a bug in the plugin");
  }
  return d;
}

std::vector<std::string> CheckedScenario::required_columns() const {
  return call_plugin(who_, "required_columns", [&] { return object_->required_columns(); });
}

std::vector<Feasibility> CheckedScenario::assess(const CandidateTable& table) const {
  auto verdicts = call_plugin(who_, "assess", [&] { return object_->assess(table); });
  if (verdicts.size() != table.rows.size()) {
    throw RuntimeFailure(who_ + " returned " + std::to_string(verdicts.size()) + " verdicts for " +
                         std::to_string(table.rows.size()) + " candidates; fix the plugin");
  }
  return verdicts;
}

// ---- CheckedOptimizer --------------------------------------------------------------------------

CheckedOptimizer::CheckedOptimizer(const Optimizer& object, std::string who)
    : object_(&object), who_(std::move(who)) {}

Selection CheckedOptimizer::select(const SelectionProblem& problem,
                                   std::span<const Feasibility> verdicts) const {
  Selection selection;
  try {
    const PluginCallGuard guard(who_, "select");
    selection = object_->select(problem);
  } catch (const std::exception& e) {
    throw RuntimeFailure(who_ + " threw: " + e.what());
  } catch (...) {
    throw RuntimeFailure(who_ + " threw something that is not a std::exception");
  }
  if (auto problem_text = contract_problem(selection, problem, verdicts); !problem_text.empty())
    throw RuntimeFailure(who_ + " " + problem_text + "; this is a bug in the plugin");
  return selection;
}

// ---- CheckedAggregator -------------------------------------------------------------------------

CheckedAggregator::CheckedAggregator(const Aggregator& object, std::string who)
    : object_(&object), who_(who.empty() ? std::string("aggregator") : std::move(who)) {
  stops_early_ = stops_early();
}

SampleFields CheckedAggregator::needs() const {
  return call_plugin(who_, "needs", [&] { return object_->needs(); });
}

bool CheckedAggregator::stops_early() const {
  return call_plugin(who_, "stops_early", [&] { return object_->stops_early(); });
}

void CheckedAggregator::aggregate(std::span<const InferenceOutcome> path,
                                  std::span<double> accuracy, std::span<std::int32_t> used,
                                  std::int64_t trial) const {
  try {
    const PluginCallGuard guard(who_, "aggregate");
    object_->aggregate(path, accuracy, used);
  } catch (...) {
    throw RuntimeFailure(who_ + " failed in aggregate (trial " + std::to_string(trial) +
                         "): " + current_exception_text());
  }
  // Every trial passes here: first the conditions below, without a branch per k; the loop after
  // finds which one failed.
  bool valid = true;
  std::int32_t last = 0;
  for (std::size_t j = 0; j < path.size(); ++j) {
    const auto allowed = static_cast<std::int32_t>(j + 1);
    valid &= (accuracy[j] >= 0.0) & (accuracy[j] <= 1.0) & (used[j] >= 1) & (used[j] <= allowed) &
             (used[j] >= last) & (stops_early_ | (used[j] == allowed));
    last = used[j];
  }
  if (valid)
    return;
  std::int32_t previous = 0;
  for (std::size_t j = 0; j < path.size(); ++j) {
    const auto allowed = static_cast<std::int32_t>(j + 1);
    std::string problem;
    if (!(accuracy[j] >= 0.0 && accuracy[j] <= 1.0))
      problem = "an accuracy of " + text::format_real(accuracy[j]) + " (must be in [0, 1])";
    else if (used[j] < 1 || used[j] > allowed)
      problem = std::to_string(used[j]) + " samples used (must be in [1, " +
                std::to_string(allowed) + "])";
    else if (used[j] < previous)
      problem = std::to_string(used[j]) + " samples used, fewer than the " +
                std::to_string(previous) + " used when allowed one sample less";
    else if (!stops_early_ && used[j] != allowed)
      problem = std::to_string(used[j]) + " samples used although it does not stop early";
    if (!problem.empty()) {
      throw RuntimeFailure(who_ + " returned " + problem + " when allowed " +
                           std::to_string(allowed) + " samples, in trial " + std::to_string(trial) +
                           "; this is a bug in the aggregator plugin");
    }
    previous = used[j];
  }
}

bool CheckedAggregator::has_exact() const {
  return call_plugin(who_, "has_exact", [&] { return object_->has_exact(); });
}

void CheckedAggregator::exact_curve(std::span<const InferenceOutcome> samples,
                                    std::span<double> accuracy, const std::string& question) const {
  try {
    const PluginCallGuard guard(who_, "exact_curve");
    object_->exact_curve(samples, accuracy);
  } catch (...) {
    throw RuntimeFailure(who_ + " failed in exact_curve (question '" + question +
                         "'): " + current_exception_text());
  }
  for (std::size_t j = 0; j < accuracy.size(); ++j) {
    if (!(accuracy[j] >= 0.0 && accuracy[j] <= 1.0)) {
      throw RuntimeFailure(who_ + " returned an exact accuracy of " +
                           text::format_real(accuracy[j]) + " at k = " + std::to_string(j + 1) +
                           " for question '" + question +
                           "' (must be in [0, 1]); this is a bug in the aggregator plugin");
    }
  }
}

AccuracyForm CheckedAggregator::iid_form() const {
  const AccuracyForm form = call_plugin(who_, "iid_form", [&] { return object_->iid_form(); });
  switch (form) {
    case AccuracyForm::none:
    case AccuracyForm::best_of_k:
    case AccuracyForm::any_correct:
    case AccuracyForm::plurality:
    case AccuracyForm::best_score:
      return form;
  }
  throw RuntimeFailure(who_ + " returned an unknown iid_form " +
                       std::to_string(static_cast<std::uint32_t>(form)) +
                       "; this is a bug in the aggregator plugin");
}

}  // namespace kcube
