// What a run may take from the machine: the thread-count rule, memory sizes and limits, and the
// engine's memory estimate.
#include <doctest/doctest.h>

#include <string>

#include "engine/engine.hpp"
#include "engine/resources.hpp"
#include "kcube/error.hpp"

using kcube::Deployment;
using kcube::SimulationOptions;

namespace {

Deployment grid_to(int k_max) {
  Deployment d;
  d.parallelism = 4;
  d.k_max = k_max;
  d.k_step = 1;
  return d;
}

SimulationOptions trials_on(std::int64_t trials, int threads) {
  SimulationOptions o;
  o.trials = trials;
  o.threads = threads;
  return o;
}

std::string message_of(const auto& call) {
  try {
    call();
  } catch (const kcube::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("thread counts: 'auto' or 1 to 1024, one rule for --threads and run.threads") {
  CHECK(kcube::parse_thread_count("auto").threads == 0);
  CHECK(kcube::parse_thread_count("auto").problem.empty());
  CHECK(kcube::parse_thread_count("1").threads == 1);
  CHECK(kcube::parse_thread_count("1024").threads == 1024);
  CHECK(kcube::parse_thread_count("1024").problem.empty());
  for (const char* out_of_range : {"0", "1025", "1000000", "-1"}) {
    CAPTURE(out_of_range);
    const auto count = kcube::parse_thread_count(out_of_range);
    CHECK(count.problem.find("must be 'auto' or an integer in [1, 1024], got " +
                             std::string(out_of_range)) == 0);
    CHECK(count.problem.find("'auto' is the ") != std::string::npos);  // how to fix it
  }
  for (const char* not_a_number :
       {"abc", "", " 4", "4x", "2.5", "+3", "AUTO", "99999999999999999999"}) {
    CAPTURE(not_a_number);
    CHECK(kcube::parse_thread_count(not_a_number)
              .problem.find("expected 'auto' or an integer in [1, 1024], got '" +
                            std::string(not_a_number) + "'") == 0);
  }
  CHECK(kcube::resolve_threads(7) == 7);
  CHECK(kcube::resolve_threads(0) >= 1);
  CHECK(kcube::resolve_threads(0) <= kcube::kMaxThreads);
}

TEST_CASE("a team of threads that can start passes the probe") {
  kcube::check_threads_start(1, "lower --threads");
  kcube::check_threads_start(16, "lower --threads");
}

TEST_CASE("memory sizes: bytes or K, M, G, T as powers of 1024") {
  CHECK(kcube::parse_memory_size("1073741824", "--memory-limit") == 1073741824ULL);
  CHECK(kcube::parse_memory_size("512M", "--memory-limit") == 512ULL << 20);
  CHECK(kcube::parse_memory_size("4G", "--memory-limit") == 4ULL << 30);
  CHECK(kcube::parse_memory_size("4g", "--memory-limit") == 4ULL << 30);
  CHECK(kcube::parse_memory_size("4GiB", "--memory-limit") == 4ULL << 30);
  CHECK(kcube::parse_memory_size("64KB", "--memory-limit") == 64ULL << 10);
  CHECK(kcube::parse_memory_size("2T", "--memory-limit") == 2ULL << 40);
  CHECK(kcube::parse_memory_size("100B", "--memory-limit") == 100);
  for (const char* bad : {"", "G", "4X", "1.5G", "-1G", "4 G", "0", "0M", "99999999999T"}) {
    CAPTURE(bad);
    CHECK(message_of([&] {
            kcube::parse_memory_size(bad, "--memory-limit");
          }).find("--memory-limit must be a size such as 4G, 512M") == 0);
  }
  CHECK(kcube::format_bytes(512) == "512 B");
  CHECK(kcube::format_bytes(1536) == "1.5 KiB");
  CHECK(kcube::format_bytes(3ULL << 30) == "3.0 GiB");
  CHECK(kcube::default_memory_limit() > 0);
  CHECK(kcube::default_memory_limit() <= kcube::available_memory() / 2);
}

TEST_CASE("a memory estimate beyond the limit is refused with the estimate and how to lower it") {
  kcube::check_memory_limit(1000, 1000, "kcube run: the cell");
  const std::string message = message_of([] {
    kcube::check_memory_limit(3ULL << 30, 1ULL << 30, "kcube run: the cell of profile 'p'");
  });
  CHECK(message.find("kcube run: the cell of profile 'p' needs about 3.0 GiB of memory, more "
                     "than the memory limit of 1.0 GiB (--memory-limit") == 0);
  CHECK(message.find("lower run.trials or --threads, or raise --memory-limit (e.g. "
                     "--memory-limit 4G)") != std::string::npos);
}

TEST_CASE("the memory estimate: one store of every trial's values, not one per thread") {
  // 2,000,000 trials on the grid k = 1..4: 12 columns of 8 bytes per trial kept (183 MiB).
  const std::uint64_t store = 2'000'000ULL * 12 * 8;
  const std::uint64_t one = kcube::simulation_memory_bytes(grid_to(4), trials_on(2'000'000, 1));
  const std::uint64_t many = kcube::simulation_memory_bytes(grid_to(4), trials_on(2'000'000, 48));
  CHECK(one >= store);
  CHECK(one < store + store / 100);  // the rest is small: failure slots, statistics, the table
  // Each extra thread adds its path (4 outcomes, each with its prefix's accuracy, cost, latency
  // and samples used) and one trial's 12 values.
  constexpr std::uint64_t path = 4 * (sizeof(kcube::InferenceOutcome) + 3 * 8 + 4);
  CHECK(many - one == 47 * (path + 12 * 8));
  // An aggregator that stops early adds a fourth metric, samples used: 16 values per trial.
  CHECK(kcube::simulation_memory_bytes(grid_to(4), trials_on(2'000'000, 1), true) - one ==
        2'000'000ULL * 4 * 8 + 2 * 4 * (2 + 2) * 8 + 4 * 8);  // store, statistics, values

  // More quantile levels add only statistics; the thread count is capped at one per chunk.
  SimulationOptions chance = trials_on(2'000'000, 1);
  chance.quantile_levels = {0.95, 0.05, 0.95};
  CHECK(kcube::simulation_memory_bytes(grid_to(4), chance) == one + 2 * 2 * 12 * 8);
  CHECK(kcube::simulation_memory_bytes(grid_to(4), trials_on(100, 1024)) ==
        kcube::simulation_memory_bytes(grid_to(4), trials_on(100, 7)));  // 100 trials: 7 chunks

  // Beyond exact_quantile_bytes, histograms: no trials-long store, and one set of histograms
  // shared by the threads. Each extra thread adds its path and one trial's values.
  SimulationOptions histogram = trials_on(2'000'000, 1);
  histogram.exact_quantile_bytes = store - 1;
  SimulationOptions histograms = histogram;
  histograms.threads = 2;
  const std::uint64_t h1 = kcube::simulation_memory_bytes(grid_to(4), histogram);
  CHECK(h1 < store / 10);
  // Per column: kHistogramBins counts of 4 bytes and kHistogramBins / 2 kept values of 8.
  CHECK(h1 >= 12 * kcube::kHistogramBins * (4 + 4));
  CHECK(kcube::simulation_memory_bytes(grid_to(4), histograms) - h1 == path + 12 * 8);

  // What simulate() refuses needs nothing.
  CHECK(kcube::simulation_memory_bytes(grid_to(4), trials_on(1, 4)) == 0);
}
