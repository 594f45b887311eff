// Fixture: a scenario that misbehaves on request. `fault` says how, `where` in which method;
// everywhere else it has unbounded budgets, P = 1, k = 1..k_max, and calls the candidates with
// k <= feasible_k_max feasible.
#include <limits>
#include <string>
#include <vector>

#include "kcube/kcube.hpp"
#include "strike.hpp"

namespace {

class FaultyScenario final : public kcube::Scenario {
 public:
  explicit FaultyScenario(const kcube::Params& params)
      : fault_(kcube::get_string(params, "fault")),
        where_(kcube::get_string(params, "where")),
        k_max_(static_cast<int>(kcube::get_int(params, "k_max"))),
        feasible_k_max_(static_cast<int>(kcube::get_int(params, "feasible_k_max"))),
        sleep_s_(kcube::get_real(params, "sleep_s")),
        exit_(fixture::exit_fault(params)) {
    strike("factory");
  }

  kcube::Budget budget() const override {
    strike("budget");
    kcube::Budget b;
    if (where_ == "budget") {
      if (fault_ == "nan")
        b.cost_max = std::numeric_limits<double>::quiet_NaN();
      if (fault_ == "negative")
        b.latency_max = -1.0;
    }
    return b;
  }

  kcube::Deployment deployment() const override {
    strike("deployment");
    kcube::Deployment d;
    d.k_max = k_max_;
    if (where_ == "deployment" && fault_ == "negative")
      d.parallelism = -1;
    if (where_ == "deployment" && fault_ == "nan")  // no NaN in integers: an unknown enum value
      d.latency_model = static_cast<kcube::LatencyModel>(7);
    if (where_ == "deployment" && fault_ == "huge")  // its k grid would overflow int
      d.k_max = std::numeric_limits<int>::max();
    return d;
  }

  std::vector<std::string> required_columns() const override {
    strike("required_columns");
    if (where_ == "required_columns" && fault_ == "unknown-column")
      return {"no_such_column"};
    return {};
  }

  std::vector<kcube::Feasibility> assess(const kcube::CandidateTable& table) const override {
    strike("assess");
    std::vector<kcube::Feasibility> out;
    for (const auto& row : table.rows) {
      const bool ok = row.k <= feasible_k_max_;
      out.push_back({ok, ok ? "" : "k " + std::to_string(row.k) + " > feasible_k_max"});
    }
    if (where_ == "assess" && fault_ == "wrong-count" && !out.empty())
      out.pop_back();
    return out;
  }

 private:
  void strike(const char* method) const {
    fixture::strike(fault_, where_, method, sleep_s_, exit_);
  }

  std::string fault_, where_;
  int k_max_, feasible_k_max_;
  double sleep_s_;
  fixture::ExitFault exit_;
};

constexpr kcube::ParamSpec kParams[] = {
    {.key = "fault",
     .type = kcube::ParamType::enumeration,
     .default_value = "none",
     .choices =
         "none|throw|throw-error|throw-int|exit|nan|negative|huge|unknown-column|wrong-count|"
         "sleep",
     .doc = "what goes wrong (nan and negative: in budget or deployment; huge: in deployment; "
            "unknown-column: in required_columns; wrong-count: in assess)"},
    {.key = "where",
     .type = kcube::ParamType::enumeration,
     .default_value = "assess",
     .choices = "factory|budget|deployment|required_columns|assess",
     .doc = "the method it goes wrong in"},
    {.key = "k_max", .type = kcube::ParamType::integer, .default_value = "8", .min = 1, .max = 64},
    {.key = "feasible_k_max",
     .type = kcube::ParamType::integer,
     .default_value = "4",
     .min = 0,
     .max = 64,
     .doc = "candidates with k up to this are feasible"},
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
    .kind = kcube::PluginKind::scenario,
    .name = "faulty-scenario",
    .version = "0.0.1",
    .summary = "test fixture: a scenario that misbehaves on request",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<FaultyScenario>,
};
KCUBE_EXPORT_PLUGIN(fixture_descriptor)
