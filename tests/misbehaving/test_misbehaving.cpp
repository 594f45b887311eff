// The guards around plugin calls: whatever a plugin throws or returns, the engine, the exact
// evaluator and the selection wrapper report one RuntimeFailure naming it, and the watchdog gives
// up on work that takes too long without waiting for it.
#include <doctest/doctest.h>

#include <omp.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>
#include <thread>

#include "engine/engine.hpp"
#include "engine/exact.hpp"
#include "engine/selection.hpp"
#include "host/checked.hpp"
#include "host/plugin_host.hpp"
#include "host/spec.hpp"
#include "kcube/error.hpp"
#include "run/watchdog.hpp"
#include "thread_gate.hpp"

using kcube::RuntimeFailure;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A profile whose draw_path fails on OpenMP thread `thread` (-1: every thread): by throwing a
// std::runtime_error (kind 0), an int (kind 1), or drawing NaN (kind 2); display_name() throws
// when `bad_name`. The other threads of the team wait in draw_path until thread `thread` has
// drawn (fixture::ThreadGate), so that it surely gets trials.
class Failing final : public kcube::ModelProfile {
 public:
  Failing(int kind, int thread, bool bad_name = false)
      : kind_(kind), thread_(thread), bad_name_(bad_name), gate_(thread) {}
  std::string display_name() const override {
    if (bad_name_)
      throw 7;
    return "failing";
  }
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    for (auto& o : path)
      o = {0.01, 1.0, stream.uniform()};
    if (thread_ >= 0 && !gate_.is_target()) {
      gate_.hold();
      return;
    }
    gate_.arrive();
    if (kind_ == 0)
      throw std::runtime_error("boom on a worker thread");
    if (kind_ == 1)
      throw 42;
    if (kind_ == 2)
      path[0].accuracy = kNaN;
    if (kind_ == 3) {  // finite, but two of them overflow
      for (auto& o : path)
        o.cost = std::numeric_limits<double>::max();
    }
    if (kind_ == 4)  // one per trial: each trial is finite, their mean is not
      path[0].cost = std::numeric_limits<double>::max();
  }
  /// Whether thread `thread` drew, and no thread gave up waiting for it.
  bool seen() const { return gate_.arrived() && !gate_.gave_up(); }

 private:
  int kind_, thread_;
  bool bad_name_;
  fixture::ThreadGate gate_;
};

kcube::Deployment grid(int k_max) {
  kcube::Deployment d;
  d.k_max = k_max;
  return d;
}

kcube::SimulationOptions two_threads(std::int64_t trials) {
  kcube::SimulationOptions o;
  o.trials = trials;
  o.threads = 2;
  return o;
}

// `profile` named as the host names a plugin's object (LoadedPlugin::who()).
kcube::CheckedProfile named(const kcube::ModelProfile& profile) {
  return {profile, "model profile 'failing' (test)"};
}

// A profile with exact evaluation whose methods misbehave on request.
class BadExact final : public kcube::ModelProfile {
 public:
  explicit BadExact(int kind) : kind_(kind) {}
  std::string display_name() const override { throw std::logic_error("no name"); }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome>) const override {}
  bool has_exact() const override { return true; }
  double expected_cost() const override {
    return kind_ == 0 ? std::numeric_limits<double>::max() : 0.01;
  }
  double expected_latency() const override { return 1.0; }
  double accuracy_cdf(double y) const override {
    if (kind_ == 1 && y > 0.0 && y < 1.0)
      throw 42;
    return y;
  }

 private:
  int kind_;
};

const kcube::PluginRegistry& registry() {
  static const kcube::PluginRegistry instance = [] {
    kcube::DiscoveryOptions options;
    options.plugin_paths = {KCUBE_TEST_MISBEHAVING_PLUGINS};
    options.use_environment = false;
    options.use_builtin = false;
    return kcube::PluginRegistry::discover(options);
  }();
  return instance;
}

kcube::PluginInstance<kcube::Scenario> scenario(const std::string& spec) {
  return registry().create<kcube::Scenario>(kcube::parse_spec(spec));
}

kcube::CandidateTable two_rows() {
  kcube::CandidateTable table;
  table.rows = {{1, 0.1, 10, 0.8}, {2, 0.2, 20, 0.9}};
  return table;
}

}  // namespace

TEST_CASE("an exception thrown by draw_path on a non-main OpenMP thread fails the simulation") {
  // 64 chunks of 256 trials, two threads: thread 1 gets chunks (thread 0 waits for it), and its
  // throw must not leave the parallel region (that would be std::terminate, not an exception).
  const Failing profile(0, 1);
  CHECK_THROWS_WITH_AS(
      kcube::simulate(named(profile), 1, grid(4), two_threads(16384)),
      doctest::Contains("model profile 'failing' (test) failed in draw_path (trial "),
      RuntimeFailure);
  CHECK(profile.seen());
  const Failing again(0, 1);
  CHECK_THROWS_WITH_AS(kcube::simulate(again, 1, grid(4), two_threads(16384)),
                       doctest::Contains("boom on a worker thread"), RuntimeFailure);
  CHECK(again.seen());
}

TEST_CASE("a non-std exception from draw_path is reported as such, on any thread") {
  const Failing profile(1, -1);
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, grid(4), two_threads(1000)),
                       doctest::Contains("not a std::exception"), RuntimeFailure);
  kcube::SimulationOptions o = two_threads(1000);
  o.sampling = kcube::Sampling::independent;
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, grid(4), o),
                       doctest::Contains("failed in draw_path"), RuntimeFailure);
}

TEST_CASE("NaN drawn on a worker thread is caught, even when display_name() throws too") {
  const Failing profile(2, 1, true);
  // A bare profile is named by its display_name(), which throws.
  const kcube::SimulationOptions o = two_threads(16384);
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, grid(4), o),
                       doctest::Contains("drew a non-finite value"), RuntimeFailure);
  CHECK(profile.seen());
  const Failing again(2, 1, true);
  CHECK_THROWS_WITH_AS(kcube::simulate(again, 1, grid(4), o),
                       doctest::Contains("display_name() failed"), RuntimeFailure);
  CHECK(again.seen());
}

TEST_CASE("finite outcomes whose sum overflows fail with the k and the metric") {
  const Failing profile(3, -1);
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, grid(4), two_threads(100)),
                       doctest::Contains("the cost of trial"), RuntimeFailure);
  kcube::SimulationOptions o = two_threads(100);
  o.exact_quantile_bytes = 0;  // histogram quantiles: no infinite bin bounds either
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, grid(4), o),
                       doctest::Contains("at k = 4 is inf"), RuntimeFailure);
  // Finite trials whose mean overflows: caught on the statistics, in both quantile modes.
  const Failing single(4, -1);
  CHECK_THROWS_WITH_AS(kcube::simulate(single, 1, grid(4), two_threads(100)),
                       doctest::Contains("the simulated mean cost at k = 1 is inf"),
                       RuntimeFailure);
  CHECK_THROWS_WITH_AS(kcube::simulate(single, 1, grid(4), o),
                       doctest::Contains("the simulated mean cost at k = 1 is inf"),
                       RuntimeFailure);
}

namespace {

// A profile that draws a given path (its first outcomes when asked for fewer).
class FixedPath final : public kcube::ModelProfile {
 public:
  explicit FixedPath(std::vector<kcube::InferenceOutcome> path) : path_(std::move(path)) {}
  std::string display_name() const override { return "fixed"; }
  void draw_path(kcube::RandomStream&, std::span<kcube::InferenceOutcome> path) const override {
    std::copy_n(path_.begin(), path.size(), path.begin());
  }

 private:
  std::vector<kcube::InferenceOutcome> path_;
};

}  // namespace

TEST_CASE("draw_path's outcome checks: each condition, anywhere in a long path") {
  constexpr double kMax = std::numeric_limits<double>::max();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const kcube::InferenceOutcome fine{
      .cost = 0.01, .latency = 1.0, .accuracy = 0.5, .input_cost = 0.004};
  struct Case {
    const char* what;
    kcube::InferenceOutcome outcome;
    const char* refusal;  // nullptr: valid
  };
  const Case cases[] = {
      {"accuracy 0", {.cost = 0.01, .latency = 1, .accuracy = 0.0}, nullptr},
      {"accuracy 1", {.cost = 0.01, .latency = 1, .accuracy = 1.0}, nullptr},
      {"input cost = cost", {.cost = 0.01, .latency = 1, .input_cost = 0.01}, nullptr},
      {"-0 latency and cost", {.cost = -0.0, .latency = -0.0, .accuracy = 0.5}, nullptr},
      // Valid, but its fields add up to infinity: the quick check defers to the exact one.
      {"largest finite values",
       {.cost = kMax, .latency = kMax, .accuracy = 1, .score = -kMax},
       nullptr},
      {"NaN accuracy", {.cost = 0.01, .latency = 1, .accuracy = kNaN}, "a non-finite value"},
      {"infinite latency", {.cost = 0.01, .latency = kInf, .accuracy = 0.5}, "a non-finite value"},
      {"infinite cost", {.cost = kInf, .latency = 1, .accuracy = 0.5}, "a non-finite value"},
      {"negative cost", {.cost = -1e-300, .latency = 1, .accuracy = 0.5}, "a negative cost"},
      {"negative latency", {.cost = 0.01, .latency = -1, .accuracy = 0.5}, "a negative latency"},
      {"accuracy above 1",
       {.cost = 0.01, .latency = 1, .accuracy = std::nextafter(1.0, 2.0)},
       "an accuracy outside [0, 1]"},
      {"accuracy below 0",
       {.cost = 0.01, .latency = 1, .accuracy = -1e-300},
       "an accuracy outside [0, 1]"},
      {"input cost above cost",
       {.cost = 0.01, .latency = 1, .input_cost = 0.02},
       "an input cost outside [0, cost]"},
      {"negative input cost",
       {.cost = 0.01, .latency = 1, .input_cost = -0.001},
       "an input cost outside [0, cost]"},
      {"NaN input cost",
       {.cost = 0.01, .latency = 1, .input_cost = kNaN},
       "an input cost outside [0, cost]"},
      {"infinite score", {.cost = 0.01, .latency = 1, .score = -kInf}, "a non-finite score"},
      {"NaN score", {.cost = 0.01, .latency = 1, .score = kNaN}, "a non-finite score"},
  };
  for (const Case& c : cases) {
    for (const std::size_t position : {std::size_t{0}, std::size_t{511}, std::size_t{1023}}) {
      CAPTURE(c.what);
      CAPTURE(position);
      std::vector<kcube::InferenceOutcome> drawn(1024, fine);
      drawn[position] = c.outcome;
      const FixedPath profile(drawn);
      const kcube::CheckedProfile checked(profile);
      std::vector<kcube::InferenceOutcome> path(drawn.size());
      kcube::RandomStream stream(1, 2, 3);
      if (c.refusal == nullptr) {
        CHECK_NOTHROW(checked.draw_path(stream, path, 7));
      } else {
        std::string message;
        try {
          checked.draw_path(stream, path, 7);
        } catch (const RuntimeFailure& e) {
          message = e.what();
        }
        CAPTURE(message);
        CHECK(message.find(std::string("drew ") + c.refusal + " (cost") != std::string::npos);
        CHECK(message.find("in trial 7, inference " + std::to_string(position) + ";") !=
              std::string::npos);
      }
    }
  }
}

TEST_CASE("a raised stop flag ends a simulation between chunks") {
  const Failing profile(-1, -1);  // well-behaved
  std::atomic<bool> stop{true};
  kcube::SimulationOptions o = two_threads(1000);
  o.stop = &stop;
  CHECK_THROWS_WITH_AS(kcube::simulate(profile, 1, grid(4), o), doctest::Contains("stopped"),
                       RuntimeFailure);
  stop = false;
  CHECK(kcube::simulate(profile, 1, grid(4), o).table.rows.size() == 4);
}

TEST_CASE("exact evaluation: a throwing CDF and an overflowing expected cost are failures") {
  CHECK_THROWS_WITH_AS(kcube::exact_candidates({BadExact(1), "model profile 'x' (y.so)"}, grid(4)),
                       "model profile 'x' (y.so) failed in accuracy_cdf: it threw something "
                       "that is not a std::exception",
                       RuntimeFailure);
  CHECK_THROWS_WITH_AS(kcube::exact_candidates(BadExact(0), grid(4)),
                       doctest::Contains("the expected cost at k = 2 overflows"), RuntimeFailure);
  // No label: display_name() is asked and throws; the message says so instead of crashing.
  CHECK_THROWS_WITH_AS(kcube::exact_candidates(BadExact(0), grid(4)),
                       doctest::Contains("display_name() failed: no name"), RuntimeFailure);
}

TEST_CASE("scenario methods that throw or return no budget or deployment are failures") {
  const auto fails = [](const std::string& spec, const char* what) {
    const auto s = scenario(spec);
    CHECK_THROWS_WITH_AS(
        {
          (void)s.checked().deployment();
          (void)kcube::assess(s, two_rows());
        },
        doctest::Contains(what), RuntimeFailure);
  };
  // A kcube::Error thrown at run time is a failure of the plugin, not an input error.
  fails("faulty-scenario:fault=throw-error,where=assess",
        "failed in assess: injected kcube::Error in assess");
  fails("faulty-scenario:fault=throw-int,where=budget", "failed in budget: it threw something");
  fails("faulty-scenario:fault=nan,where=budget", "a budget with cost_max = nan");
  fails("faulty-scenario:fault=negative,where=budget", "a budget with latency_max = -1");
  fails("faulty-scenario:fault=negative,where=deployment", "parallelism -1");
  fails("faulty-scenario:fault=nan,where=deployment", "unknown latency model (7)");
  fails("faulty-scenario:fault=throw,where=required_columns", "failed in required_columns");
  fails("faulty-scenario:fault=wrong-count,where=assess", "returned 1 verdicts for 2");
  // Every message names the plugin and its file.
  const auto s = scenario("faulty-scenario:fault=throw,where=assess");
  CHECK_THROWS_WITH_AS((void)kcube::assess(s, two_rows()),
                       doctest::Contains("kcube-scenario-faulty-scenario.so)"), RuntimeFailure);
  CHECK(kcube::assess(scenario("faulty-scenario"), two_rows()).feasible.size() == 2);
}

TEST_CASE("the watchdog gives up on work past its deadline and goes on with a fresh worker") {
  kcube::Watchdog watchdog(0.2);
  // The work cannot end before it is released, which happens only once run() has returned: run()
  // must give up on it at the deadline instead of waiting. (Unreleased, it ends by itself after
  // 60 s, a guard against a hang; run() would then return its result and the test fail.)
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto late = watchdog.run(std::function<int(kcube::WorkState&)>([release](auto& state) {
    state.enter(nullptr, "held plugin, nap");
    const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!release->load() && std::chrono::steady_clock::now() < guard)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    state.enter(nullptr, "never reached while anyone waits");  // abandoned: throws
    return 1;
  }));
  release->store(true);
  REQUIRE(std::holds_alternative<kcube::TimedOut>(late));
  CHECK(std::get<kcube::TimedOut>(late).where == "held plugin, nap");
  CHECK(watchdog.abandoned());
  // A fresh worker runs the next piece of work; its exceptions reach the caller.
  auto next = watchdog.run(std::function<int(kcube::WorkState&)>([](auto&) { return 2; }));
  CHECK(std::get<int>(next) == 2);
  CHECK_THROWS_WITH(watchdog.run(std::function<int(kcube::WorkState&)>(
                        [](auto&) -> int { throw std::runtime_error("from the worker"); })),
                    "from the worker");
}

TEST_CASE("a deadline that passes before the first plugin call names kcube's own code") {
  kcube::Watchdog watchdog(0.05);
  // The work is held before its first plugin call until run() has returned, so past the deadline
  // (or for 60 s, a guard against a hang should run() wait for it).
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto late = watchdog.run(std::function<int(kcube::WorkState&)>([release](auto& state) {
    const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!release->load() && std::chrono::steady_clock::now() < guard)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    state.enter(nullptr, "a plugin call after the deadline");  // throws WorkAbandoned
    return 1;
  }));
  release->store(true);
  REQUIRE(std::holds_alternative<kcube::TimedOut>(late));
  const auto& timed_out = std::get<kcube::TimedOut>(late);
  CHECK(timed_out.where == "kcube's own code, before its first plugin call");
  CHECK(timed_out.plugin == nullptr);
}

TEST_CASE("without a timeout the watchdog runs work on the calling thread") {
  kcube::Watchdog watchdog(std::nullopt);
  const auto caller = std::this_thread::get_id();
  auto result = watchdog.run(std::function<bool(kcube::WorkState&)>(
      [&](auto&) { return std::this_thread::get_id() == caller; }));
  CHECK(std::get<bool>(result));
  CHECK_FALSE(watchdog.abandoned());
}
