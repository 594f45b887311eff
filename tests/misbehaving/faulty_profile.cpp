// Fixture: a model profile that misbehaves on request. `fault` says how, `where` in which method;
// everywhere else it is a well-behaved profile (cost 0.01 u, latency u, accuracy u for one
// uniform u per inference; exact: E[c] = 0.005, E[t] = 0.5, F(y) = y).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kcube/kcube.hpp"
#include "strike.hpp"
#include "thread_gate.hpp"

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "faulty-profile"
#endif
#ifndef FIXTURE_SAFETY
#define FIXTURE_SAFETY shared
#endif

namespace {

// `thread` holds the team's other threads back until that thread has drawn only when all share
// one object: a serial plugin's calls are one at a time (a held call would hold the target out)
// and a per-thread plugin's objects do not see each other.
constexpr bool kGateThreads = kcube::ThreadSafety::FIXTURE_SAFETY == kcube::ThreadSafety::shared;

class FaultyProfile final : public kcube::ModelProfile {
 public:
  explicit FaultyProfile(const kcube::Params& params)
      : fault_(kcube::get_string(params, "fault")),
        where_(kcube::get_string(params, "where")),
        field_(kcube::get_string(params, "field")),
        at_call_(kcube::get_int(params, "at_call")),
        calls_limit_(kcube::get_int(params, "calls")),
        thread_(kcube::get_int(params, "thread")),
        sleep_s_(kcube::get_real(params, "sleep_s")),
        exit_(fixture::exit_fault(params)),
        exact_(kcube::get_bool(params, "exact")),
        gate_(static_cast<int>(thread_)) {
    strike("factory");
  }

  std::string display_name() const override {
    strike("display_name");
    return "Faulty";
  }

  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    for (auto& o : path) {
      const double u = stream.uniform();
      o = {0.01 * u, u, u};
    }
    const std::int64_t call = calls_.fetch_add(1) + 1;
    // Thread `thread` arrives at every call, one that goes wrong or not: a held thread is let go
    // even when the target's calls are past those that go wrong.
    const bool target = thread_ < 0 || gate_.is_target();
    if (target && kGateThreads)
      gate_.arrive();
    if (where_ != "draw_path" || call < at_call_ || path.empty() ||
        (calls_limit_ > 0 && call >= at_call_ + calls_limit_))
      return;
    if (!target) {
      // Hold the other threads back until thread `thread` has drawn, so that it surely gets
      // trials to go wrong in (fixture::ThreadGate).
      if (kGateThreads) {
        gate_.hold();
        if (gate_.gave_up())
          std::fprintf(stderr, FIXTURE_NAME ": OpenMP thread %lld did not draw in 60 s\n",
                       static_cast<long long>(thread_));
      }
      return;
    }
    strike("draw_path");
    double& v = field_ == "cost"      ? path[0].cost
                : field_ == "latency" ? path[0].latency
                                      : path[0].accuracy;
    v = value(v);
  }

  bool has_exact() const override {
    strike("has_exact");
    return exact_;
  }
  double expected_cost() const override { return value_at("expected_cost", 0.005); }
  double expected_latency() const override { return value_at("expected_latency", 0.5); }
  double accuracy_cdf(double y) const override {
    return y <= 0.0 ? 0.0 : y >= 1.0 ? 1.0 : value_at("accuracy_cdf", y);
  }
  std::vector<double> accuracy_breakpoints() const override {
    strike("accuracy_breakpoints");
    if (where_ == "accuracy_breakpoints" && fault_ != "none")
      return {value(0.5), -1.0, 2.0, std::numeric_limits<double>::quiet_NaN()};
    return {};
  }

 private:
  // Throws or sleeps when the fault is one of those and `method` is where it strikes.
  void strike(const char* method) const {
    fixture::strike(fault_, where_, method, sleep_s_, exit_);
  }
  // `normal`, or the faulty value when the fault is a value and strikes in `method`.
  double value_at(const char* method, double normal) const {
    strike(method);
    return where_ == method ? value(normal) : normal;
  }
  double value(double normal) const {
    if (fault_ == "nan")
      return std::numeric_limits<double>::quiet_NaN();
    if (fault_ == "inf")
      return std::numeric_limits<double>::infinity();
    if (fault_ == "negative")
      return -1.0;
    if (fault_ == "huge")
      return std::numeric_limits<double>::max();
    return normal;
  }

  std::string fault_, where_, field_;
  std::int64_t at_call_, calls_limit_, thread_;
  double sleep_s_;
  fixture::ExitFault exit_;
  bool exact_;
  fixture::ThreadGate gate_;
  mutable std::atomic<std::int64_t> calls_{0};
};

constexpr kcube::ParamSpec kParams[] = {
    {.key = "fault",
     .type = kcube::ParamType::enumeration,
     .default_value = "none",
     .choices = "none|throw|throw-error|throw-int|exit|nan|inf|negative|huge|sleep",
     .doc = "what goes wrong: a std::runtime_error, a kcube::Error, `throw 42`, std::exit, a "
            "bad value, a "
            "sleep of sleep_s"},
    {.key = "where",
     .type = kcube::ParamType::enumeration,
     .default_value = "draw_path",
     .choices = "factory|display_name|draw_path|has_exact|expected_cost|expected_latency|"
                "accuracy_cdf|accuracy_breakpoints",
     .doc = "the method it goes wrong in"},
    {.key = "field",
     .type = kcube::ParamType::enumeration,
     .default_value = "cost",
     .choices = "cost|latency|accuracy",
     .doc = "the outcome a bad value of draw_path goes into (its first inference)"},
    {.key = "at_call",
     .type = kcube::ParamType::integer,
     .default_value = "1",
     .min = 1,
     .max = 1e15,
     .doc = "draw_path goes wrong from its N-th call on (counted over all threads)"},
    {.key = "calls",
     .type = kcube::ParamType::integer,
     .default_value = "0",
     .min = 0,
     .max = 1e15,
     .doc = "draw_path goes wrong in this many calls from at_call on; 0: in all"},
    {.key = "thread",
     .type = kcube::ParamType::integer,
     .default_value = "-1",
     .min = -1,
     .max = 4096,
     .doc = "draw_path goes wrong only on this OpenMP thread, and (a shared plugin) the other "
            "threads of its team wait until it has drawn; -1: on any"},
    {.key = "sleep_s",
     .type = kcube::ParamType::real,
     .default_value = "3600",
     .min = 0,
     .max = 1e6,
     .unit = "s",
     .doc = "how long fault=sleep sleeps"},
    fixture::kExitStatusParam,
    fixture::kStrikeWhileParam,
    {.key = "exact",
     .type = kcube::ParamType::boolean,
     .default_value = "true",
     .doc = "whether has_exact() says yes"},
};

}  // namespace

extern const kcube::PluginDescriptor fixture_descriptor;
const kcube::PluginDescriptor fixture_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::model_profile,
    .name = FIXTURE_NAME,
    .version = "0.0.1",
    .summary = "test fixture: a model profile that misbehaves on request",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::FIXTURE_SAFETY,
    .create = &kcube::construct<FaultyProfile>,
};
KCUBE_EXPORT_PLUGIN(fixture_descriptor)
