// Private: the host's one way into a plugin object. Every call of a plugin's method goes through
// one of these wrappers, which
//   - runs it under call_plugin (plugin_call.hpp): whatever it throws (a non-std type included)
//     leaves as one kcube::RuntimeFailure naming the plugin, its file and the method, and an
//     exit() inside it ends kcube naming both (exit_guard.hpp);
//   - checks what it returned against the SDK contract (a budget with NaN, a deployment with an
//     empty k grid, an outcome with a negative cost, a CDF value outside [0, 1], a selection of
//     a k that is not a candidate ...), the message saying it is a bug in the plugin.
// PluginInstance (plugin_host.hpp) hands out nothing but these (`instance.checked()`). The
// wrappers are views: the object and its plugin outlive them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kcube/aggregator.hpp"
#include "kcube/candidate.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/optimizer.hpp"
#include "kcube/random.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// A model profile's methods, checked.
class CheckedProfile {
 public:
  /// `object` named `who` in messages, e.g. "model profile 'gaussian' (/path/to/.so)"
  /// (LoadedPlugin::who()). Implicit from a bare profile (library callers and tests): then it
  /// is named "model profile '<display_name()>'", or by how display_name() failed.
  CheckedProfile(const ModelProfile& object, std::string who = {});  // NOLINT: implicit

  /// How messages name the profile.
  const std::string& who() const { return who_; }
  /// display_name().
  std::string display_name() const;
  /// Fills `path` (draw_path); RuntimeFailure naming the profile and `trial` when it throws or
  /// draws an invalid outcome (non-finite, negative cost or latency, accuracy outside [0, 1]).
  void draw_path(RandomStream& stream, std::span<InferenceOutcome> path, std::int64_t trial) const;

  /// provides().
  SampleFields provides() const;
  /// question_log(), checked once per call: every question has at least one sample, every
  /// sample is a valid outcome with accuracy 0 or 1. RuntimeFailure naming the profile and the
  /// question otherwise. The spans point into the profile object.
  QuestionLog question_log() const;

  /// has_exact().
  bool has_exact() const;
  /// kcube::Error naming the profile unless has_exact() (use the Monte Carlo evaluator).
  void require_exact() const;
  /// expected_cost(), USD: finite and >= 0.
  double expected_cost() const;
  /// expected_input_cost(), USD: finite, >= 0 and at most expected_cost(). The engine asks only
  /// profiles whose provides() has input_cost (require_billable()).
  double expected_input_cost() const;
  /// expected_latency(), s: finite and >= 0.
  double expected_latency() const;
  /// accuracy_cdf(y): a probability in [0, 1].
  double accuracy_cdf(double y) const;
  /// accuracy_breakpoints() as returned (they are hints; callers drop what is outside (0, 1)).
  std::vector<double> accuracy_breakpoints() const;

  /// has_exact_accuracy().
  bool has_exact_accuracy() const;
  /// expected_accuracy(form, ks, accuracy), checked: every value finite and in [0, 1]. A
  /// kcube::Error the profile throws (a form it cannot serve as configured) stays a kcube::Error,
  /// prefixed with who(); anything else it throws, or a value outside [0, 1], is a
  /// RuntimeFailure naming the profile ("this is a bug in the profile plugin").
  void expected_accuracy(AccuracyForm form, std::span<const int> ks,
                         std::span<double> accuracy) const;

  /// has_curve().
  bool has_curve() const;
  /// expected_curve(grid, notes), checked against its contract: at least one row, every k on
  /// `grid` and strictly increasing, cost and latency finite and >= 0, accuracy in [0, 1], every
  /// column one finite value per row. A kcube::Error the profile throws (the table and the grid
  /// have no k in common, ...) stays a kcube::Error, prefixed with who(); anything else it throws
  /// or a broken contract is a RuntimeFailure naming the profile ("this is a bug in the profile
  /// plugin").
  CandidateTable expected_curve(std::span<const int> grid, std::vector<std::string>& notes) const;

 private:
  const ModelProfile* object_;
  std::string who_;
};

/// A scenario's methods, checked.
class CheckedScenario {
 public:
  /// `object` named `who` in messages (LoadedPlugin::who()).
  CheckedScenario(const Scenario& object, std::string who);

  const std::string& who() const { return who_; }
  /// budget(): caps >= 0 or +inf, accuracy_min in [0, 1], no NaN.
  Budget budget() const;
  /// deployment(): parallelism >= 1, k_step >= 1, a non-empty k grid that cannot overflow, a
  /// known latency model, a known input billing with call_size >= 1 and finite cache factors
  /// >= 0.
  Deployment deployment() const;
  /// required_columns().
  std::vector<std::string> required_columns() const;
  /// assess(table): one verdict per row of `table`.
  std::vector<Feasibility> assess(const CandidateTable& table) const;

 private:
  const Scenario* object_;
  std::string who_;
};

/// An optimizer's method, checked.
class CheckedOptimizer {
 public:
  /// `object` named `who` in messages (LoadedPlugin::who()).
  CheckedOptimizer(const Optimizer& object, std::string who);

  const std::string& who() const { return who_; }
  /// select(problem), checked against the optimizer contract (optimizer.hpp) with `verdicts`,
  /// the scenario's verdict on each row of problem.table: a known status other than error, k
  /// exactly when the status wants one, a finite score, infeasible only when nothing is
  /// feasible, a k that is a feasible candidate. RuntimeFailure "<who> threw: ..." when select
  /// throws, "<who> <what it did>; this is a bug in the plugin" when it breaks the contract.
  Selection select(const SelectionProblem& problem, std::span<const Feasibility> verdicts) const;

 private:
  const Optimizer* object_;
  std::string who_;
};

/// An aggregator's methods, checked.
class CheckedAggregator {
 public:
  /// `object` named `who` in messages (LoadedPlugin::who()). Implicit from a bare aggregator
  /// (library callers and tests): then it is named "aggregator".
  CheckedAggregator(const Aggregator& object, std::string who = {});  // NOLINT: implicit

  const std::string& who() const { return who_; }
  /// needs().
  SampleFields needs() const;
  /// stops_early().
  bool stops_early() const;
  /// aggregate(path, accuracy, used), checked: every accuracy in [0, 1], every used(j) in
  /// [1, j] and non-decreasing, and used(j) = j unless stops_early(). RuntimeFailure naming
  /// the plugin and `trial` when it throws or breaks that contract.
  void aggregate(std::span<const InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used, std::int64_t trial) const;
  /// has_exact().
  bool has_exact() const;
  /// exact_curve(samples, accuracy), checked: every value in [0, 1]. RuntimeFailure naming
  /// the plugin and `question` otherwise.
  void exact_curve(std::span<const InferenceOutcome> samples, std::span<double> accuracy,
                   const std::string& question) const;
  /// iid_form(): one of the known forms.
  AccuracyForm iid_form() const;

 private:
  const Aggregator* object_;
  std::string who_;
  bool stops_early_ = false;
};

/// The checked wrapper of plugin interface T.
template <class T>
struct CheckedOf;
template <>
struct CheckedOf<ModelProfile> {
  using type = CheckedProfile;
};
template <>
struct CheckedOf<Scenario> {
  using type = CheckedScenario;
};
template <>
struct CheckedOf<Optimizer> {
  using type = CheckedOptimizer;
};
template <>
struct CheckedOf<Aggregator> {
  using type = CheckedAggregator;
};
template <class T>
using Checked = typename CheckedOf<T>::type;

}  // namespace kcube
