// Fixture: an optimizer that misbehaves on request; with fault=none it picks the smallest
// feasible k.
#include <algorithm>
#include <limits>
#include <string>

#include "kcube/kcube.hpp"
#include "strike.hpp"

namespace {

class FaultyOptimizer final : public kcube::Optimizer {
 public:
  explicit FaultyOptimizer(const kcube::Params& params)
      : fault_(kcube::get_string(params, "fault")),
        where_(kcube::get_string(params, "where")),
        sleep_s_(kcube::get_real(params, "sleep_s")),
        exit_(fixture::exit_fault(params)) {
    strike("factory");
  }

  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    strike("select");
    kcube::Selection s;
    if (problem.feasible.empty()) {
      s.reason = "no candidate is feasible";
      return s;
    }
    s.status = kcube::SelectionStatus::selected;
    s.k = problem.table.rows[problem.feasible.front()].k;
    s.score = 1.0;
    s.reason = "the smallest feasible k";
    if (where_ != "select")
      return s;
    if (fault_ == "not-candidate") {
      s.k = 100000;
    } else if (fault_ == "infeasible-k") {
      for (std::size_t i = 0; i < problem.table.rows.size(); ++i) {
        if (std::find(problem.feasible.begin(), problem.feasible.end(), i) ==
            problem.feasible.end())
          s.k = problem.table.rows[i].k;
      }
    } else if (fault_ == "nan-score") {
      s.score = std::numeric_limits<double>::quiet_NaN();
    } else if (fault_ == "inf-score") {
      s.score = std::numeric_limits<double>::infinity();
    } else if (fault_ == "status-error") {
      s.status = kcube::SelectionStatus::error;  // reserved for the host
    } else if (fault_ == "status-unknown") {
      s.status = static_cast<kcube::SelectionStatus>(99);
    } else if (fault_ == "selected-without-k") {
      s.k.reset();
    } else if (fault_ == "false-infeasible") {
      s.status = kcube::SelectionStatus::infeasible;
      s.k.reset();
      s.score.reset();
    }
    return s;
  }

 private:
  void strike(const char* method) const {
    fixture::strike(fault_, where_, method, sleep_s_, exit_);
  }

  std::string fault_, where_;
  double sleep_s_;
  fixture::ExitFault exit_;
};

constexpr kcube::ParamSpec kParams[] = {
    {.key = "fault",
     .type = kcube::ParamType::enumeration,
     .default_value = "none",
     .choices = "none|throw|throw-error|throw-int|exit|not-candidate|infeasible-k|nan-score|"
                "inf-score|status-error|status-unknown|selected-without-k|false-infeasible|sleep",
     .doc = "what goes wrong"},
    {.key = "where",
     .type = kcube::ParamType::enumeration,
     .default_value = "select",
     .choices = "factory|select",
     .doc = "the method it goes wrong in"},
    {.key = "sleep_s",
     .type = kcube::ParamType::real,
     .default_value = "3600",
     .min = 0,
     .max = 1e6,
     .unit = "s",
     .doc = "how long fault=sleep sleeps"},
    fixture::kExitStatusParam,
    fixture::kStrikeWhileParam,
};

}  // namespace

extern const kcube::PluginDescriptor fixture_descriptor;
const kcube::PluginDescriptor fixture_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "faulty-optimizer",
    .version = "0.0.1",
    .summary = "test fixture: an optimizer that misbehaves on request",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<FaultyOptimizer>,
};
KCUBE_EXPORT_PLUGIN(fixture_descriptor)
