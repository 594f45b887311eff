// Scenario plugin `budget`: per-request budgets on cost, latency and accuracy for a deployment
// that runs P inferences at a time, with k over multiples of k_step up to k_max, and a request's
// input billed per sample, per call or through a prompt cache.
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "kcube/kcube.hpp"

namespace {

using kcube::ParamSpec;
using kcube::ParamType;

/// The billing of the validated parameters. call_size belongs to per-call billing and
/// cache_write and cache_read to cached: giving them with another billing is an error, since the
/// user evidently meant a billing they did not ask for.
kcube::Billing billing_of(const kcube::Params& params) {
  kcube::Billing billing;
  const std::string name = kcube::has_param(params, "input_billing")
                               ? kcube::get_string(params, "input_billing")
                               : std::string("per-sample");
  billing.input_billing = name == "per-call" ? kcube::InputBilling::per_call
                          : name == "cached" ? kcube::InputBilling::cached
                                             : kcube::InputBilling::per_sample;
  const auto refuse = [&](const char* key, const char* billing_needed) {
    throw kcube::Error("parameter '" + std::string(key) + "' applies to input_billing: " +
                       billing_needed + ", but input_billing is " + name +
                       "; set input_billing: " + billing_needed + " or leave " + key + " out");
  };
  if (kcube::has_param(params, "call_size")) {
    if (billing.input_billing != kcube::InputBilling::per_call)
      refuse("call_size", "per-call");
    billing.call_size = static_cast<int>(kcube::get_int(params, "call_size"));
  }
  for (const char* key : {"cache_write", "cache_read"}) {
    if (!kcube::has_param(params, key))
      continue;
    if (billing.input_billing != kcube::InputBilling::cached)
      refuse(key, "cached");
    (std::string_view(key) == "cache_write" ? billing.cache_write : billing.cache_read) =
        kcube::get_real(params, key);
  }
  return billing;
}

class BudgetScenario final : public kcube::Scenario {
 public:
  explicit BudgetScenario(const kcube::Params& params) {
    budget_.cost_max = kcube::get_real(params, "cost_max");
    budget_.latency_max = kcube::get_real(params, "latency_max");
    budget_.accuracy_min = kcube::get_real(params, "accuracy_min");
    deployment_.parallelism = static_cast<int>(kcube::get_int(params, "parallelism"));
    deployment_.k_max = static_cast<int>(kcube::get_int(params, "k_max"));
    deployment_.k_step = kcube::has_param(params, "k_step")
                             ? static_cast<int>(kcube::get_int(params, "k_step"))
                             : deployment_.parallelism;
    deployment_.latency_model = kcube::get_string(params, "latency_model") == "max-wave"
                                    ? kcube::LatencyModel::max_wave
                                    : kcube::LatencyModel::mean_wave;
    deployment_.billing = billing_of(params);
    const bool chance = kcube::get_string(params, "constraint_mode") == "chance";
    confidence_ = kcube::get_real(params, "confidence");

    if (deployment_.k_step > deployment_.k_max) {
      throw kcube::Error("k_step " + std::to_string(deployment_.k_step) + " exceeds k_max " +
                         std::to_string(deployment_.k_max) +
                         ", so no k is on the grid (k_step defaults to parallelism); raise k_max "
                         "or lower k_step");
    }
    // Quantile columns are named by the confidence's digits (cost_p95, cost_p975), so it
    // must have at most three decimals.
    const double permille = confidence_ * 1000.0;
    if (std::fabs(permille - std::round(permille)) > 1e-9) {
      throw kcube::Error("confidence " + kcube::format_number(confidence_) +
                         " has more than three decimals; use e.g. 0.95, 0.975 or 0.999");
    }
    // Chance mode reads the quantile of a metric only when its budget is set: no column can
    // break cost_max = inf, latency_max = inf or accuracy_min = 0.
    if (chance && std::isfinite(budget_.cost_max))
      cost_column_ = kcube::quantile_column("cost", confidence_);
    if (chance && std::isfinite(budget_.latency_max))
      latency_column_ = kcube::quantile_column("latency", confidence_);
    if (chance && budget_.accuracy_min > 0.0)
      accuracy_column_ = kcube::quantile_column("accuracy", 1.0 - confidence_);
  }

  kcube::Budget budget() const override { return budget_; }
  kcube::Deployment deployment() const override { return deployment_; }

  std::vector<std::string> required_columns() const override {
    std::vector<std::string> columns;
    for (const std::string* column : {&cost_column_, &latency_column_, &accuracy_column_}) {
      if (!column->empty())
        columns.push_back(*column);
    }
    return columns;
  }

  std::vector<kcube::Feasibility> assess(const kcube::CandidateTable& table) const override {
    // Mean mode: budgets apply to expected values. Chance mode: to the confidence quantiles,
    // P_conf[cost] <= cost_max, P_conf[latency] <= latency_max, P_(1-conf)[accuracy] >= min
    // (a quantile column is named only for a budget that is set; the others cannot break).
    const auto quantile = [&](const std::string& name) {
      return name.empty() ? nullptr : table.column(name);
    };
    const std::vector<double>* cost_q = quantile(cost_column_);
    const std::vector<double>* latency_q = quantile(latency_column_);
    const std::vector<double>* accuracy_q = quantile(accuracy_column_);

    std::vector<kcube::Feasibility> verdicts;
    verdicts.reserve(table.rows.size());
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
      const kcube::Candidate& c = table.rows[i];
      std::vector<std::string> broken;
      if (!deployment_.on_grid(c.k)) {
        broken.push_back("k " + std::to_string(c.k) + " is not on the grid (multiples of " +
                         std::to_string(deployment_.k_step) + " up to k_max " +
                         std::to_string(deployment_.k_max) + ")");
      }
      const double cost = cost_q ? (*cost_q)[i] : c.cost;
      const double latency = latency_q ? (*latency_q)[i] : c.latency;
      const double accuracy = accuracy_q ? (*accuracy_q)[i] : c.accuracy;
      const std::string cost_name = cost_q ? cost_column_ : "cost";
      const std::string latency_name = latency_q ? latency_column_ : "latency";
      const std::string accuracy_name = accuracy_q ? accuracy_column_ : "accuracy";
      if (cost > budget_.cost_max) {
        broken.push_back(cost_name + " " + kcube::format_number(cost) + " > cost_max " +
                         kcube::format_number(budget_.cost_max));
      }
      if (latency > budget_.latency_max) {
        broken.push_back(latency_name + " " + kcube::format_number(latency) + " > latency_max " +
                         kcube::format_number(budget_.latency_max));
      }
      if (accuracy < budget_.accuracy_min) {
        broken.push_back(accuracy_name + " " + kcube::format_number(accuracy) + " < accuracy_min " +
                         kcube::format_number(budget_.accuracy_min));
      }
      kcube::Feasibility verdict;
      verdict.feasible = broken.empty();
      for (std::size_t b = 0; b < broken.size(); ++b) {
        verdict.reason += (b == 0 ? "" : "; ") + broken[b];
      }
      verdicts.push_back(std::move(verdict));
    }
    return verdicts;
  }

 private:
  kcube::Budget budget_;
  kcube::Deployment deployment_;
  double confidence_ = 0.95;
  std::string cost_column_, latency_column_, accuracy_column_;
};

constexpr ParamSpec kParams[] = {
    {.key = "cost_max",
     .type = ParamType::real,
     .default_value = "inf",
     .min = 0,
     .unit = "USD",
     .doc = "largest expected total cost per request (all k samples)",
     .min_exclusive = true},
    {.key = "latency_max",
     .type = ParamType::real,
     .default_value = "inf",
     .min = 0,
     .unit = "s",
     .doc = "largest expected end-to-end latency per request",
     .min_exclusive = true},
    {.key = "accuracy_min",
     .type = ParamType::real,
     .default_value = "0",
     .min = 0,
     .max = 1,
     .doc = "smallest admissible expected accuracy"},
    {.key = "parallelism",
     .type = ParamType::integer,
     .default_value = "1",
     .min = 1,
     .max = 1048576,
     .doc = "inferences run concurrently (P)"},
    {.key = "k_max",
     .type = ParamType::integer,
     .default_value = "128",
     .min = 1,
     .max = 1048576,
     .doc = "largest k considered"},
    {.key = "k_step",
     .type = ParamType::integer,
     .min = 1,
     .max = 1048576,
     .doc = "k runs over multiples of k_step up to k_max (default: parallelism)"},
    {.key = "latency_model",
     .type = ParamType::enumeration,
     .default_value = "mean-wave",
     .choices = "mean-wave|max-wave",
     .doc = "mean-wave: (k/P)*mean(t_i); max-wave: sum of each wave's slowest inference"},
    // The billing keys have no schema default, so that a key the user gave can be told from
    // one left out (and a study that gives none keeps its stored scenario spec).
    {.key = "input_billing",
     .type = ParamType::enumeration,
     .choices = "per-sample|per-call|cached",
     .doc = "how the k samples pay the input (default per-sample: each pays it in full; "
            "per-call: once per call of call_size; cached: cache_write, then cache_read each); "
            "the output is always paid per sample"},
    {.key = "call_size",
     .type = ParamType::integer,
     .min = 1,
     .max = 1048576,
     .doc = "per-call billing: samples returned by one call, e.g. the API's n (default 1)"},
    {.key = "cache_write",
     .type = ParamType::real,
     .min = 0,
     .doc = "cached billing: multiple of the input price the first sample pays (default 1.25)",
     .max_exclusive = true},
    {.key = "cache_read",
     .type = ParamType::real,
     .min = 0,
     .doc = "cached billing: multiple of the input price each later sample pays (default 0.1)",
     .max_exclusive = true},
    {.key = "constraint_mode",
     .type = ParamType::enumeration,
     .default_value = "mean",
     .choices = "mean|chance",
     .doc = "mean: budgets bound expected values; chance: they bound the confidence quantiles"},
    {.key = "confidence",
     .type = ParamType::real,
     .default_value = "0.95",
     .min = 0.5,
     .max = 1,
     .doc = "chance mode: P_conf of cost and latency, P_(1-conf) of accuracy are bounded",
     .max_exclusive = true},
};

}  // namespace

extern const kcube::PluginDescriptor kcube_budget_descriptor;
const kcube::PluginDescriptor kcube_budget_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::scenario,
    .name = "budget",
    .version = "1.1.0",
    .summary = "Per-request budgets on cost, latency and accuracy for P-way parallel best-of-k",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<BudgetScenario>,
};
KCUBE_EXPORT_PLUGIN(kcube_budget_descriptor)
