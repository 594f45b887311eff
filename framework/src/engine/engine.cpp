#include "engine/engine.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <span>
#include <sstream>
#include <string>

#include "engine/mix.hpp"
#include "engine/resources.hpp"
#include "kcube/error.hpp"
#include "kcube/random.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace kcube {
namespace {

// Per trial and k: cost, latency, accuracy and, for an aggregator that stops early, the samples
// it used, in this order everywhere.
constexpr std::size_t kMaxMetrics = 4;
constexpr const char* kMetricNames[kMaxMetrics] = {"cost", "latency", "accuracy", "samples_used"};

// The paper's best-of-k: what simulate() aggregates with when no aggregator is given. The same
// rule as the max-accuracy plugin (plugins/aggregator/max-accuracy), which manifests use.
class BestOfK final : public Aggregator {
 public:
  SampleFields needs() const override { return {}; }
  void aggregate(std::span<const InferenceOutcome> path, std::span<double> accuracy,
                 std::span<std::int32_t> used) const override {
    double best = 0.0;
    for (std::size_t j = 0; j < path.size(); ++j) {
      best = std::max(best, path[j].accuracy);
      accuracy[j] = best;
      used[j] = static_cast<std::int32_t>(j + 1);
    }
  }
};

// Trials are processed in chunks: the unit of parallel work and of reduction order. Sums are
// formed within a chunk in trial order and then across chunks in chunk order, so the result does
// not depend on which thread ran which chunk. The chunk size depends on the trial count only
// (never on the threads): about 64 chunks, 16 to 256 trials each, so that small cells (the
// paper's 300 trials) still spread over the cores.
std::int64_t chunk_trials(std::int64_t trials) {
  return std::clamp<std::int64_t>(trials / 64, 16, 256);
}

// Threads that simulate one cell: the requested count (0: OpenMP's default), at most one per
// chunk, since more would only spin.
int team_size(int requested, std::int64_t chunks) {
  return static_cast<int>(
      std::min<std::int64_t>(requested > 0 ? requested : omp_get_max_threads(), chunks));
}

// Whether trials * `width` values fit options.exact_quantile_bytes, so that quantiles are exact.
bool keeps_every_trial(std::size_t width, std::int64_t trials, const SimulationOptions& options) {
  const double bytes = static_cast<double>(width) * static_cast<double>(trials) * 8.0;
  return bytes <= static_cast<double>(options.exact_quantile_bytes);
}

// The quantile levels a simulation computes: 0.025 and 0.975, then options.quantile_levels
// without repeats. Throws kcube::Error for a level outside (0, 1).
std::vector<double> levels_of(const SimulationOptions& options) {
  std::vector<double> levels = {0.025, 0.975};
  for (double q : options.quantile_levels) {
    if (!(q > 0.0 && q < 1.0)) {
      throw Error("quantile level " + text::format_real(q) + " is not in (0, 1)");
    }
    if (std::find(levels.begin(), levels.end(), q) == levels.end())
      levels.push_back(q);
  }
  return levels;
}

// Everything the trial loop needs, fixed for one simulation.
struct Plan {
  std::span<const CheckedProfile> profiles;
  std::span<const CheckedAggregator> aggregators;  // one shared, or one per thread
  std::uint64_t seed = 0;
  std::uint64_t cell = 0;
  std::vector<int> grid;
  int parallelism = 1;
  LatencyModel latency_model = LatencyModel::mean_wave;
  Billing billing;  // what each sample of a request pays
  Sampling sampling = Sampling::nested;
  std::int64_t trials = 0;
  int threads = 1;
  std::size_t metrics = 3;                  // 4 when the aggregator stops early
  std::string label;                        // names the profile in messages
  const std::atomic<bool>* stop = nullptr;  // SimulationOptions::stop

  std::int64_t chunk = 256;  // trials per chunk: chunk_trials(trials)

  std::size_t width() const { return grid.size() * metrics; }  // values per trial
  std::int64_t chunks() const { return (trials + chunk - 1) / chunk; }
};

// A thread's buffers for one path: its outcomes, the aggregator's accuracy and samples used at
// every prefix, and the cost and latency of every prefix.
struct PathBuffers {
  std::vector<InferenceOutcome> path;
  std::vector<double> accuracy, cost, latency;
  std::vector<std::int32_t> used;
  void resize(std::size_t k) {
    path.resize(k);
    accuracy.resize(k);
    cost.resize(k);
    latency.resize(k);
    used.resize(k);
  }
};

// Aggregates one path (its first n = path.size() entries of `b`) and emits the values at each k
// of `ks` (increasing, <= n): out[metrics j + m] for the j-th k. The aggregator gives the
// accuracy at k and the samples u it draws when allowed k; cost and latency are those of the
// first u samples: cost the sum of their bills (Billing::sample_cost: sample i pays factor(i)
// times its input cost and all of its output cost; per sample, its cost), latency mean-wave (u / P)
// mean(t_i) = sum(t_i) / P, or max-wave: the sum over the ceil(u / P) waves of P consecutive
// inferences of each wave's slowest member (the last wave may be partial). Sums run in draw order,
// so that with every sample used the numbers are those of the best-of-k engine before aggregators
// existed, bit for bit.
void aggregate(const Plan& plan, const CheckedAggregator& aggregator, std::size_t n,
               std::span<const int> ks, std::int64_t trial, PathBuffers& b, double* out) {
  const std::span<const InferenceOutcome> path(b.path.data(), n);
  aggregator.aggregate(path, std::span(b.accuracy.data(), n), std::span(b.used.data(), n), trial);
  double cost = 0.0, latency_sum = 0.0, finished_waves = 0.0, wave_max = 0.0;
  const auto p = static_cast<std::size_t>(plan.parallelism);
  const bool mean_wave = plan.latency_model == LatencyModel::mean_wave;
  for (std::size_t i = 0; i < n; ++i) {
    const InferenceOutcome& o = path[i];
    cost += plan.billing.sample_cost(static_cast<int>(i), o.input_cost, o.cost);
    latency_sum += o.latency;
    wave_max = std::max(wave_max, o.latency);
    if ((i + 1) % p == 0) {
      finished_waves += wave_max;
      wave_max = 0.0;
    }
    b.cost[i] = cost;
    b.latency[i] =
        mean_wave ? latency_sum / static_cast<double>(plan.parallelism) : finished_waves + wave_max;
  }
  for (std::size_t j = 0; j < ks.size(); ++j) {
    const auto k = static_cast<std::size_t>(ks[j]);
    const auto u = static_cast<std::size_t>(b.used[k - 1]);
    double* values = out + plan.metrics * j;
    values[0] = b.cost[u - 1];
    values[1] = b.latency[u - 1];
    values[2] = b.accuracy[k - 1];
    if (plan.metrics == kMaxMetrics)
      values[3] = static_cast<double>(u);
  }
}

// Finite outcomes can still add up to infinity (a cost of 1e308 twice): checked per trial, so
// that no infinity reaches the statistics (the histogram's bins need finite bounds). Outcomes
// are checked finite and >= 0 and accuracy is a maximum of values in [0, 1], so on one nested
// path cost and latency grow with k: their values at the largest k decide for the whole grid.
void check_aggregates(const Plan& plan, const double* values, std::int64_t trial) {
  const std::size_t first = plan.sampling == Sampling::nested ? plan.width() - plan.metrics : 0;
  for (std::size_t c = first; c < plan.width(); ++c) {
    if (!std::isfinite(values[c])) {
      throw RuntimeFailure(plan.label + ": the " + kMetricNames[c % plan.metrics] + " of trial " +
                           std::to_string(trial) +
                           " at k = " + std::to_string(plan.grid[c / plan.metrics]) + " is " +
                           text::format_real(values[c]) +
                           " (its outcomes overflow when aggregated); this is a bug in the "
                           "profile plugin");
    }
  }
}

// Runs every trial once, in parallel over chunks, calling
//   on_trial(thread, chunk, trial, values)   with values[metrics g + m] at grid index g.
// Exceptions never leave the parallel region. A failure cancels only the chunks after its own:
// every earlier chunk still runs, so the failure rethrown is always that of the first failing
// trial, whatever the thread count and the order in which threads reach the chunks (skipping
// every chunk once any failed reported trial 112 instead of 0 when a second thread failed first).
template <class OnTrial>
void for_each_trial(const Plan& plan, OnTrial&& on_trial) {
  const std::int64_t chunks = plan.chunks();
  std::vector<std::string> failures(static_cast<std::size_t>(chunks));
  constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> first_failed{kNone};  // lowest chunk that failed
  const auto stopped = [&plan] {
    return plan.stop != nullptr && plan.stop->load(std::memory_order_relaxed);
  };
  const int max_k = plan.grid.back();

#pragma omp parallel num_threads(plan.threads)
  {
    const int thread = omp_get_thread_num();
    const auto own = static_cast<std::size_t>(thread);
    const CheckedProfile& profile = plan.profiles[plan.profiles.size() == 1 ? 0 : own];
    const CheckedAggregator& aggregator = plan.aggregators[plan.aggregators.size() == 1 ? 0 : own];
    PathBuffers buffers;
    std::vector<double> values;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
      if (chunk > first_failed.load(std::memory_order_relaxed) || stopped())
        continue;
      // Everything that may throw, the plugin's draw_path and the buffers' allocation
      // included, is inside this try: an exception that left the region would terminate.
      try {
        buffers.resize(static_cast<std::size_t>(max_k));
        values.resize(plan.width());
        const std::int64_t end = std::min(plan.trials, (chunk + 1) * plan.chunk);
        for (std::int64_t trial = chunk * plan.chunk; trial < end; ++trial) {
          const auto t = static_cast<std::uint64_t>(trial);
          if (plan.sampling == Sampling::nested) {
            RandomStream stream(plan.seed, plan.cell, t);
            profile.draw_path(stream, buffers.path, trial);
            aggregate(plan, aggregator, buffers.path.size(), plan.grid, trial, buffers,
                      values.data());
          } else {
            for (std::size_t g = 0; g < plan.grid.size(); ++g) {
              RandomStream stream(plan.seed, plan.cell, t, g + 1);
              const auto n = static_cast<std::size_t>(plan.grid[g]);
              profile.draw_path(stream, std::span(buffers.path.data(), n), trial);
              aggregate(plan, aggregator, n, std::span<const int>(&plan.grid[g], 1), trial, buffers,
                        &values[plan.metrics * g]);
            }
          }
          check_aggregates(plan, values.data(), trial);
          on_trial(thread, chunk, trial, values.data());
        }
      } catch (...) {
        // No plugin call here, and nothing that may escape: the handler must not throw.
        try {
          failures[static_cast<std::size_t>(chunk)] =
              failure_text("simulating trials " + std::to_string(chunk * plan.chunk) + " to " +
                           std::to_string(std::min(plan.trials, (chunk + 1) * plan.chunk) - 1) +
                           " of " + plan.label);
        } catch (...) {  // out of memory for the message: the fallback below reports it
        }
        std::int64_t seen = first_failed.load();
        while (chunk < seen && !first_failed.compare_exchange_weak(seen, chunk)) {
        }
      }
    }
  }
  if (first_failed.load() != kNone) {
    for (const auto& message : failures) {
      if (!message.empty())
        throw RuntimeFailure(message);
    }
    throw RuntimeFailure(plan.label + ": the simulation failed and ran out of memory saying why");
  }
  if (stopped())
    throw RuntimeFailure(plan.label + ": the simulation was stopped before its last trial");
}

// Type-7 quantile (linear interpolation between order statistics, numpy's default) of `v`,
// which it reorders. Any order of `v` gives the same value: it depends on order statistics only.
double order_statistic_quantile(std::span<double> v, double q) {
  const double h = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double below = v[lo];
  if (lo + 1 >= v.size())
    return below;
  const double above = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return below + (h - static_cast<double>(lo)) * (above - below);
}

// Per-(k, metric) statistics, index g * metrics + m.
struct Moments {
  std::vector<double> mean, std;
  std::vector<std::vector<double>> quantiles;  // [level][g * metrics + m]
};

// Every trial's values are kept, column-major (store[column * n + trial]), and each column's
// quantiles are found in place by the thread that takes the column: the store is the only
// trials-long buffer, whatever the thread count (a copy per thread once made 48 threads need
// 4.5 times the memory of one). Sums run over each column in trial order, as before.
Moments exact_moments(const Plan& plan, const std::vector<double>& levels) {
  const std::size_t width = plan.width();
  const auto n = static_cast<std::size_t>(plan.trials);
  std::vector<double> store(width * n);
  for_each_trial(plan, [&](int, std::int64_t, std::int64_t trial, const double* values) {
    const auto t = static_cast<std::size_t>(trial);
    for (std::size_t c = 0; c < width; ++c)
      store[c * n + t] = values[c];
  });

  Moments m{std::vector<double>(width), std::vector<double>(width),
            std::vector<std::vector<double>>(levels.size(), std::vector<double>(width))};
  const auto columns = static_cast<std::int64_t>(width);
  // Nothing below allocates or throws: no exception can leave the region.
#pragma omp parallel for num_threads(plan.threads) schedule(dynamic, 1)
  for (std::int64_t c = 0; c < columns; ++c) {
    const auto col = static_cast<std::size_t>(c);
    const std::span<double> column(store.data() + col * n, n);
    double sum = 0.0;
    for (double x : column)
      sum += x;
    const double mean = sum / static_cast<double>(n);
    double squares = 0.0;  // two-pass variance: no cancellation
    for (double x : column)
      squares += (x - mean) * (x - mean);
    m.mean[col] = mean;
    m.std[col] = std::sqrt(squares / static_cast<double>(n - 1));
    for (std::size_t l = 0; l < levels.size(); ++l)
      m.quantiles[l][col] = order_statistic_quantile(column, levels[l]);
  }
  return m;
}

// Beyond the memory bound: pass 1 finds each column's sum, min and max; pass 2 redraws the same
// trials (the streams are pure functions of the trial) for the squared deviations and a
// histogram of kHistogramBins bins over [min, max]. Each quantile is within one bin width,
// (max - min) / kHistogramBins, of the exact (type-7) quantile of the same trials.
Moments histogram_moments(const Plan& plan, const std::vector<double>& levels,
                          std::array<double, kMaxMetrics>& resolution) {
  const std::size_t width = plan.width();
  const auto chunks = static_cast<std::size_t>(plan.chunks());
  const auto threads = static_cast<std::size_t>(plan.threads);
  const double inf = std::numeric_limits<double>::infinity();

  std::vector<double> chunk_sums(chunks * width, 0.0);
  std::vector<double> thread_min(threads * width, inf), thread_max(threads * width, -inf);
  for_each_trial(plan, [&](int thread, std::int64_t chunk, std::int64_t, const double* values) {
    double* sums = &chunk_sums[static_cast<std::size_t>(chunk) * width];
    double* lo = &thread_min[static_cast<std::size_t>(thread) * width];
    double* hi = &thread_max[static_cast<std::size_t>(thread) * width];
    for (std::size_t c = 0; c < width; ++c) {
      sums[c] += values[c];
      lo[c] = std::min(lo[c], values[c]);
      hi[c] = std::max(hi[c], values[c]);
    }
  });
  std::vector<double> mean(width, 0.0), lo(width, inf), hi(width, -inf);
  for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
    for (std::size_t c = 0; c < width; ++c)
      mean[c] += chunk_sums[chunk * width + c];
  }
  const auto n = static_cast<double>(plan.trials);
  for (std::size_t c = 0; c < width; ++c)
    mean[c] /= n;
  for (std::size_t t = 0; t < threads; ++t) {
    for (std::size_t c = 0; c < width; ++c) {
      lo[c] = std::min(lo[c], thread_min[t * width + c]);
      hi[c] = std::max(hi[c], thread_max[t * width + c]);
    }
  }

  const std::size_t bins = kHistogramBins;
  std::fill(chunk_sums.begin(), chunk_sums.end(), 0.0);
  // Counts are integers, so adding the threads' histograms in any order gives the same totals.
  std::vector<std::uint32_t> counts(threads * width * bins, 0);
  for_each_trial(plan, [&](int thread, std::int64_t chunk, std::int64_t, const double* values) {
    double* squares = &chunk_sums[static_cast<std::size_t>(chunk) * width];
    std::uint32_t* histogram = &counts[static_cast<std::size_t>(thread) * width * bins];
    for (std::size_t c = 0; c < width; ++c) {
      const double d = values[c] - mean[c];
      squares[c] += d * d;
      const double span = hi[c] - lo[c];
      std::size_t bin = 0;
      if (span > 0.0) {
        bin = std::min(bins - 1, static_cast<std::size_t>((values[c] - lo[c]) / span *
                                                          static_cast<double>(bins)));
      }
      ++histogram[c * bins + bin];
    }
  });

  Moments m{mean, std::vector<double>(width, 0.0),
            std::vector<std::vector<double>>(levels.size(), std::vector<double>(width))};
  for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
    for (std::size_t c = 0; c < width; ++c)
      m.std[c] += chunk_sums[chunk * width + c];
  }
  resolution.fill(0.0);
  std::vector<std::uint64_t> total(bins);
  for (std::size_t c = 0; c < width; ++c) {
    m.std[c] = std::sqrt(m.std[c] / (n - 1.0));
    std::fill(total.begin(), total.end(), 0);
    for (std::size_t t = 0; t < threads; ++t) {
      for (std::size_t b = 0; b < bins; ++b)
        total[b] += counts[(t * width + c) * bins + b];
    }
    const double bin_width = (hi[c] - lo[c]) / static_cast<double>(bins);
    resolution[c % plan.metrics] = std::max(resolution[c % plan.metrics], bin_width);
    // The j-th smallest value (0-based), estimated inside its bin with the bin's values taken
    // as evenly spread: it lies in the same bin as the true order statistic, so within one bin
    // width of it.
    const auto order_statistic = [&](std::uint64_t j) {
      std::uint64_t before = 0;
      for (std::size_t b = 0; b < bins; ++b) {
        if (j < before + total[b]) {
          const double within =
              (static_cast<double>(j - before) + 0.5) / static_cast<double>(total[b]);
          return lo[c] + bin_width * (static_cast<double>(b) + within);
        }
        before += total[b];
      }
      return hi[c];
    };
    for (std::size_t l = 0; l < levels.size(); ++l) {
      // Type 7 as in exact mode: interpolate between the order statistics around q (n - 1).
      // Both estimates are within one bin width, and so is their interpolation.
      const double h = levels[l] * (n - 1.0);
      const auto below = static_cast<std::uint64_t>(std::floor(h));
      const auto above = std::min(below + 1, static_cast<std::uint64_t>(plan.trials) - 1);
      const double x_below = order_statistic(below);
      const double x_above = order_statistic(above);
      const double value = x_below + (h - static_cast<double>(below)) * (x_above - x_below);
      m.quantiles[l][c] = std::clamp(value, lo[c], hi[c]);
    }
  }
  return m;
}

// Finite trials can still give infinite statistics (squares of 1e200 overflow): no candidate
// table with a non-finite value leaves the engine.
void check_statistics(const Plan& plan, const CandidateTable& table) {
  const auto bad = [&](const std::string& what, std::size_t row, double value) {
    throw RuntimeFailure(plan.label + ": the simulated " + what + " at k = " +
                         std::to_string(table.rows[row].k) + " is " + text::format_real(value) +
                         " (the profile's outcomes are too large to add up in double precision); "
                         "this is a bug in the profile plugin");
  };
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const Candidate& c = table.rows[i];
    for (const auto& [what, value] : {std::pair<const char*, double>{"cost", c.cost},
                                      {"latency", c.latency},
                                      {"accuracy", c.accuracy}}) {
      if (!std::isfinite(value))
        bad(std::string("mean ") + what, i, value);
    }
  }
  for (const auto& [name, values] : table.columns) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i]))
        bad(name, i, values[i]);
    }
  }
}

}  // namespace

std::size_t aggregate_path(const CheckedAggregator& aggregator,
                           std::span<const InferenceOutcome> path, std::span<const int> ks,
                           const Deployment& deployment, std::int64_t trial,
                           std::vector<double>& out) {
  // The trial loop's own aggregation (aggregate() above), on a plan that holds what it reads.
  Plan plan;
  plan.parallelism = deployment.parallelism;
  plan.latency_model = deployment.latency_model;
  plan.billing = deployment.billing;
  plan.metrics = aggregator.stops_early() ? kMaxMetrics : kMaxMetrics - 1;
  PathBuffers buffers;
  buffers.resize(path.size());
  std::copy(path.begin(), path.end(), buffers.path.begin());
  out.resize(plan.metrics * ks.size());
  aggregate(plan, aggregator, path.size(), ks, trial, buffers, out.data());
  return plan.metrics;
}

int default_threads() {
  return omp_get_max_threads();
}

std::uint64_t simulation_memory_bytes(const Deployment& deployment,
                                      const SimulationOptions& options, bool stops_early) {
  const std::vector<int> grid = deployment.k_grid();
  if (grid.empty() || options.trials < 2)
    return 0;  // simulate() refuses these before allocating
  const std::size_t levels = levels_of(options).size();
  const std::int64_t chunk = chunk_trials(options.trials);
  const auto chunks = static_cast<std::uint64_t>((options.trials + chunk - 1) / chunk);
  const auto threads =
      static_cast<std::uint64_t>(team_size(options.threads, static_cast<std::int64_t>(chunks)));
  const std::uint64_t width = grid.size() * (stops_early ? kMaxMetrics : kMaxMetrics - 1);
  const auto trials = static_cast<std::uint64_t>(options.trials);
  const auto max_k = static_cast<std::uint64_t>(grid.back());
  constexpr std::uint64_t real = sizeof(double);

  // Each thread: one path of outcomes with its prefixes' accuracy, cost, latency and samples
  // used, and one trial's values.
  const std::uint64_t per_thread =
      max_k * (sizeof(InferenceOutcome) + 3 * real + sizeof(std::int32_t)) + width * real;
  // The failure message slot of every chunk; the statistics and the candidate table.
  const std::uint64_t fixed = chunks * sizeof(std::string) + 2 * width * (2 + levels) * real +
                              grid.size() * (sizeof(Candidate) + real);
  if (keeps_every_trial(static_cast<std::size_t>(width), options.trials, options)) {
    // The column-major store of every trial's values (exact_moments).
    return fixed + threads * per_thread + width * trials * real;
  }
  // histogram_moments: per-chunk sums, per-thread minima, maxima and histograms, and the
  // merged histogram of one column.
  return fixed + threads * (per_thread + 2 * width * real + width * kHistogramBins * 4) +
         chunks * width * real + kHistogramBins * 8;
}

std::string_view to_string(Sampling sampling) noexcept {
  return sampling == Sampling::nested ? "nested" : "independent";
}

std::uint64_t cell_identity(std::string_view profile_plugin, const Params& profile_params,
                            const Deployment& deployment, std::span<const ParamSpec> schema) {
  // Canonical text: the plugin, its parameters sorted by key (validated values are canonical;
  // a file by its content), and the deployment.
  const auto is_path = [&](const std::string& key) {
    return std::any_of(schema.begin(), schema.end(), [&](const ParamSpec& spec) {
      return spec.type == ParamType::path && spec.key != nullptr && key == spec.key;
    });
  };
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& [key, value] : profile_params) {
    if (!is_path(key)) {
      params.emplace_back(key, value.data());
      continue;
    }
    std::ifstream in(value.data(), std::ios::binary);
    std::ostringstream bytes;
    if (in)
      bytes << in.rdbuf();
    if (!in.is_open() || in.bad()) {
      throw Error("cannot read '" + value.data() + "' (parameter " + key + " of " +
                  std::string(profile_plugin) + ") to identify its cell: " + std::strerror(errno) +
                  "; check that the file exists and is readable");
    }
    params.emplace_back(key, "sha256:" + sha256_hex(bytes.str()));
  }
  std::sort(params.begin(), params.end());
  std::string text = "profile=" + std::string(profile_plugin);
  for (const auto& [key, value] : params)
    text += ";" + key + "=" + value;
  text += "|parallelism=" + std::to_string(deployment.parallelism) +
          ";k_max=" + std::to_string(deployment.k_max) +
          ";k_step=" + std::to_string(deployment.k_step) + ";latency_model=" +
          (deployment.latency_model == LatencyModel::mean_wave ? "mean-wave" : "max-wave");

  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return mix64(hash);  // spreads FNV's weak low bits over the whole key
}

void require_compatible(const CheckedProfile& profile, const CheckedAggregator& aggregator) {
  const SampleFields needs = aggregator.needs();
  const SampleFields has = profile.provides();
  std::vector<std::string> missing;
  if (needs.answers && !has.answers)
    missing.emplace_back("answers");
  if (needs.scores && !has.scores)
    missing.emplace_back("scores");
  if (!missing.empty()) {
    throw Error(
        aggregator.who() + " needs the samples' " + text::join(missing, " and ") + ", which " +
        profile.who() + " does not provide; use an aggregator that needs none of them " +
        "(max-accuracy, pass-at-k) or a profile whose samples carry them (samples, with a " +
        "log that has " + (needs.answers ? "an answer" : "a score") + " column" +
        (needs.scores ? "; difficulty, with score_correct and score_wrong" : "") + ")");
  }
}

void require_drawable(const CheckedProfile& profile) {
  if (profile.has_curve()) {
    throw Error(profile.who() +
                " serves a measured curve (expected values per k), which has no samples to "
                "draw; use the exact evaluator (run.evaluator: exact in a manifest, --evaluator "
                "exact for kcube simulate)");
  }
}

void require_billable(const CheckedProfile& profile, const Deployment& deployment) {
  const InputBilling billing = deployment.billing.input_billing;
  if (billing == InputBilling::per_sample || profile.provides().input_cost)
    return;
  throw Error(profile.who() + " does not split its cost into input and output, which " +
              "input_billing: " + std::string(to_string(billing)) +
              " needs (it bills the input part only); use input_billing: per-sample, or a "
              "profile whose samples carry their input cost (gaussian; samples with a log of "
              "input_tokens and output_tokens priced by c_in and c_out)");
}

std::vector<const QuestionSamples*> logged_population(const CheckedProfile& profile,
                                                      const QuestionLog& log, int k_max,
                                                      std::vector<std::string>& notes) {
  std::vector<const QuestionSamples*> eligible;
  std::vector<std::string> short_ids;
  std::size_t largest_possible = 0;
  for (const QuestionSamples& q : log.questions) {
    largest_possible = std::max(largest_possible, q.samples.size());
    if (q.samples.size() >= static_cast<std::size_t>(k_max))
      eligible.push_back(&q);
    else
      short_ids.push_back("'" + q.id + "' (" + std::to_string(q.samples.size()) + ")");
  }
  std::size_t smallest = largest_possible;
  for (const QuestionSamples& q : log.questions)
    smallest = std::min(smallest, q.samples.size());
  const auto listed = [&short_ids] {
    constexpr std::size_t kShown = 5;
    std::vector<std::string> shown(
        short_ids.begin(),
        short_ids.begin() + static_cast<std::ptrdiff_t>(std::min(kShown, short_ids.size())));
    std::string text = text::join(shown, ", ");
    if (short_ids.size() > kShown)
      text += " and " + std::to_string(short_ids.size() - kShown) + " more";
    return text;
  };
  if (eligible.empty()) {
    throw Error(profile.who() + ": no question of its log has " + std::to_string(k_max) +
                " samples (the deployment's largest k); the most any has is " +
                std::to_string(largest_possible) + "; lower k_max to at most that");
  }
  if (!short_ids.empty() && !log.drop_short) {
    throw Error(
        profile.who() + ": " + std::to_string(short_ids.size()) + " of its " +
        std::to_string(log.questions.size()) +
        " questions have fewer samples than the deployment's largest k = " + std::to_string(k_max) +
        ": " + listed() + "; lower k_max to at most " + std::to_string(smallest) +
        ", or set the profile's short_questions: drop to leave them out");
  }
  if (!short_ids.empty()) {
    notes.push_back(std::to_string(short_ids.size()) + " of " +
                    std::to_string(log.questions.size()) + " logged questions have fewer than " +
                    std::to_string(k_max) +
                    " samples and were left out (short_questions: drop): " + listed());
  }
  return eligible;
}

SimulationResult simulate(const CheckedProfile& profile, std::uint64_t cell,
                          const Deployment& deployment, const SimulationOptions& options) {
  return simulate(std::span<const CheckedProfile>(&profile, 1), cell, deployment, options);
}

SimulationResult simulate(std::span<const CheckedProfile> profiles, std::uint64_t cell,
                          const Deployment& deployment, const SimulationOptions& options) {
  static const BestOfK best_of_k;
  const CheckedAggregator aggregator(best_of_k, "the best-of-k rule (max-accuracy)");
  return simulate(profiles, std::span<const CheckedAggregator>(&aggregator, 1), cell, deployment,
                  options);
}

SimulationResult simulate(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                          std::uint64_t cell, const Deployment& deployment,
                          const SimulationOptions& options) {
  return simulate(std::span<const CheckedProfile>(&profile, 1),
                  std::span<const CheckedAggregator>(&aggregator, 1), cell, deployment, options);
}

SimulationResult simulate(std::span<const CheckedProfile> profiles,
                          std::span<const CheckedAggregator> aggregators, std::uint64_t cell,
                          const Deployment& deployment, const SimulationOptions& options) {
  if (options.trials < 2) {
    throw Error("trials must be at least 2 (a standard deviation needs two), got " +
                std::to_string(options.trials));
  }
  const std::vector<double> levels = levels_of(options);
  Plan plan;
  plan.profiles = profiles;
  plan.aggregators = aggregators;
  plan.seed = options.seed;
  plan.cell = cell;
  plan.grid = deployment.k_grid();
  plan.parallelism = deployment.parallelism;
  plan.latency_model = deployment.latency_model;
  plan.billing = deployment.billing;
  plan.sampling = options.sampling;
  plan.trials = options.trials;
  plan.chunk = chunk_trials(options.trials);
  plan.threads = team_size(options.threads, plan.chunks());
  if (plan.grid.empty()) {
    throw Error("the deployment's k grid is empty (k_step " + std::to_string(deployment.k_step) +
                ", k_max " + std::to_string(deployment.k_max) + ")");
  }
  if (deployment.parallelism < 1)
    throw Error("parallelism must be at least 1");
  for (const auto count : {profiles.size(), aggregators.size()}) {
    if (count != 1 && count < static_cast<std::size_t>(plan.threads))
      plan.threads = static_cast<int>(count);
  }
  plan.label = profiles.front().who();
  plan.stop = options.stop;
  const CheckedAggregator& aggregator = aggregators.front();
  require_drawable(profiles.front());
  require_compatible(profiles.front(), aggregator);
  require_billable(profiles.front(), deployment);
  plan.metrics = aggregator.stops_early() ? kMaxMetrics : kMaxMetrics - 1;

  SimulationResult result;
  if (const QuestionLog log = profiles.front().question_log(); !log.questions.empty()) {
    if (log.drop_short && plan.sampling == Sampling::independent) {
      throw Error(plan.label +
                  ": short_questions: drop with independent sampling would draw each k from "
                  "another set of questions; use sampling: nested, or short_questions: error");
    }
    result.notes.assign(log.notes.begin(), log.notes.end());
    logged_population(profiles.front(), log, plan.grid.back(), result.notes);
  }
  result.exact_quantiles = keeps_every_trial(plan.width(), plan.trials, options);
  Moments m;
  std::array<double, kMaxMetrics> resolution{};
  try {
    m = result.exact_quantiles ? exact_moments(plan, levels)
                               : histogram_moments(plan, levels, resolution);
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure(
        plan.label + ": out of memory while simulating " + std::to_string(plan.trials) +
        " trials on " + std::to_string(plan.threads) + " threads (about " +
        format_bytes(simulation_memory_bytes(deployment, options, aggregator.stops_early())) +
        " needed); lower run.trials or --threads, or free memory");
  }
  std::copy_n(resolution.begin(), result.quantile_resolution.size(),
              result.quantile_resolution.begin());
  std::int64_t per_trial = 0;
  if (plan.sampling == Sampling::nested) {
    per_trial = plan.grid.back();
  } else {
    for (int k : plan.grid)
      per_trial += k;
  }
  result.inferences = per_trial * plan.trials * (result.exact_quantiles ? 1 : 2);

  CandidateTable& table = result.table;
  const std::size_t g_count = plan.grid.size();
  const std::size_t w = plan.metrics;
  const double root_n = std::sqrt(static_cast<double>(plan.trials));
  for (std::size_t g = 0; g < g_count; ++g) {
    table.rows.push_back({plan.grid[g], m.mean[w * g], m.mean[w * g + 1], m.mean[w * g + 2]});
  }
  if (w == kMaxMetrics) {
    auto& mean_used = table.columns["samples_used"];
    for (std::size_t g = 0; g < g_count; ++g)
      mean_used.push_back(m.mean[w * g + 3]);
  }
  for (std::size_t metric = 0; metric < w; ++metric) {
    const std::string name = kMetricNames[metric];
    auto& sd = table.columns[name + "_std"];
    auto& se = table.columns[name + "_se"];
    for (std::size_t g = 0; g < g_count; ++g) {
      sd.push_back(m.std[w * g + metric]);
      se.push_back(m.std[w * g + metric] / root_n);
    }
    for (std::size_t l = 0; l < levels.size(); ++l) {
      auto& q = table.columns[quantile_column(name, levels[l])];
      for (std::size_t g = 0; g < g_count; ++g)
        q.push_back(m.quantiles[l][w * g + metric]);
    }
  }
  table.columns["trials"] = std::vector<double>(g_count, static_cast<double>(plan.trials));
  check_statistics(plan, table);
  return result;
}

}  // namespace kcube
