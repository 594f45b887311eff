#include "engine/engine.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
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
  std::size_t in_wave = 0;  // (i + 1) % p, without a division per inference
  for (std::size_t i = 0; i < n; ++i) {
    const InferenceOutcome& o = path[i];
    cost += plan.billing.sample_cost(static_cast<int>(i), o.input_cost, o.cost);
    latency_sum += o.latency;
    wave_max = std::max(wave_max, o.latency);
    if (++in_wave == p) {
      finished_waves += wave_max;
      wave_max = 0.0;
      in_wave = 0;
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

// The chunks that failed, shared by the threads of one pass: the first failing trial is always
// the one reported, whatever the thread count and the order in which threads reach the chunks.
// A failure cancels only the chunks after its own: every earlier chunk still runs (skipping
// every chunk once any failed reported trial 112 instead of 0 when a second thread failed first).
class ChunkFailures {
 public:
  explicit ChunkFailures(const Plan& plan)
      : plan_(plan), messages_(static_cast<std::size_t>(plan.chunks())) {}

  // Whether `chunk` should run: no earlier chunk failed and the simulation was not stopped.
  bool should_run(std::int64_t chunk) const {
    return chunk <= first_failed_.load(std::memory_order_relaxed) && !stopped();
  }
  // Whether the pass should end early: a chunk failed or the simulation was stopped.
  bool halted() const { return first_failed_.load() != kNone || stopped(); }
  bool stopped() const {
    return plan_.stop != nullptr && plan_.stop->load(std::memory_order_relaxed);
  }

  // Records the exception being handled as the failure of `chunk`. Call only in a catch block;
  // never throws (it runs in a handler inside an OpenMP region).
  void record(std::int64_t chunk) noexcept {
    try {
      messages_[static_cast<std::size_t>(chunk)] =
          failure_text("simulating trials " + std::to_string(chunk * plan_.chunk) + " to " +
                       std::to_string(std::min(plan_.trials, (chunk + 1) * plan_.chunk) - 1) +
                       " of " + plan_.label);
    } catch (...) {  // out of memory for the message: rethrow_if_any() reports it
    }
    std::int64_t seen = first_failed_.load();
    while (chunk < seen && !first_failed_.compare_exchange_weak(seen, chunk)) {
    }
  }

  // After the parallel region: the first chunk's failure, or the stop, as a RuntimeFailure.
  void rethrow_if_any() const {
    if (first_failed_.load() != kNone) {
      for (const auto& message : messages_) {
        if (!message.empty())
          throw RuntimeFailure(message);
      }
      throw RuntimeFailure(plan_.label +
                           ": the simulation failed and ran out of memory saying why");
    }
    if (stopped())
      throw RuntimeFailure(plan_.label + ": the simulation was stopped before its last trial");
  }

 private:
  static constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::max();
  const Plan& plan_;
  std::vector<std::string> messages_;
  std::atomic<std::int64_t> first_failed_{kNone};  // lowest chunk that failed
};

// A thread's objects and buffers for drawing trials.
struct TrialWorker {
  const CheckedProfile& profile;
  const CheckedAggregator& aggregator;
  PathBuffers buffers;
  std::vector<double> values;

  TrialWorker(const Plan& plan, int thread)
      : profile(plan.profiles[plan.profiles.size() == 1 ? 0 : static_cast<std::size_t>(thread)]),
        aggregator(
            plan.aggregators[plan.aggregators.size() == 1 ? 0 : static_cast<std::size_t>(thread)]) {
  }
};

// Runs the trials of `chunk` in trial order on `worker`'s objects, calling
//   on_trial(thread, chunk, trial, values)   with values[metrics g + m] at grid index g.
// Everything that may throw, the plugin's draw_path, the buffers' allocation and on_trial
// included, is inside the try: an exception that left the OpenMP region would terminate.
template <class OnTrial>
void run_chunk(const Plan& plan, int thread, TrialWorker& worker, std::int64_t chunk,
               ChunkFailures& failures, OnTrial&& on_trial) noexcept {
  if (!failures.should_run(chunk))
    return;
  try {
    PathBuffers& buffers = worker.buffers;
    buffers.resize(static_cast<std::size_t>(plan.grid.back()));
    worker.values.resize(plan.width());
    double* values = worker.values.data();
    const std::int64_t end = std::min(plan.trials, (chunk + 1) * plan.chunk);
    for (std::int64_t trial = chunk * plan.chunk; trial < end; ++trial) {
      const auto t = static_cast<std::uint64_t>(trial);
      if (plan.sampling == Sampling::nested) {
        RandomStream stream(plan.seed, plan.cell, t);
        worker.profile.draw_path(stream, buffers.path, trial);
        aggregate(plan, worker.aggregator, buffers.path.size(), plan.grid, trial, buffers, values);
      } else {
        for (std::size_t g = 0; g < plan.grid.size(); ++g) {
          RandomStream stream(plan.seed, plan.cell, t, g + 1);
          const auto n = static_cast<std::size_t>(plan.grid[g]);
          worker.profile.draw_path(stream, std::span(buffers.path.data(), n), trial);
          aggregate(plan, worker.aggregator, n, std::span<const int>(&plan.grid[g], 1), trial,
                    buffers, &values[plan.metrics * g]);
        }
      }
      check_aggregates(plan, values, trial);
      on_trial(thread, chunk, trial, static_cast<const double*>(values));
    }
  } catch (...) {
    failures.record(chunk);  // no plugin call here, and nothing that may escape
  }
}

// Runs every trial once, in parallel over chunks, calling on_trial as run_chunk() does.
// Exceptions never leave the parallel region; the first failing trial's is rethrown after it.
template <class OnTrial>
void for_each_trial(const Plan& plan, OnTrial&& on_trial) {
  ChunkFailures failures(plan);
  const std::int64_t chunks = plan.chunks();
#pragma omp parallel num_threads(plan.threads)
  {
    const int thread = omp_get_thread_num();
    TrialWorker worker(plan, thread);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t chunk = 0; chunk < chunks; ++chunk)
      run_chunk(plan, thread, worker, chunk, failures, on_trial);
  }
  failures.rethrow_if_any();
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

// ---- One-pass histogram quantiles (beyond options.exact_quantile_bytes) ----------------------
//
// Every trial is drawn once. Trials are drawn a block at a time (several chunks, in parallel),
// each trial's values written as one row of a block buffer; then the threads split the block's
// columns in groups of 8 neighbours (one cache line of each row), each group counted down the
// rows, every column in trial order, into that column's tally: one histogram of
// kHistogramBins bins and a reservoir of at most kKeptValues exact values, shared by all threads
// (each column is counted by one thread at a time, and integer counts do not depend on which).
// A column's tally depends only on its values in trial order, never on the blocks or threads:
//  - collecting: its first values are kept exactly, up to kKeptValues of them (the pilot);
//  - point: the pilot's values were all equal to one value x: values equal to x are counted,
//    others kept (a constant column stays exact);
//  - binned: when the reservoir fills, bins are laid over the range of the values seen so far
//    plus a quarter of it on either side, and the kept values are counted into them. A value
//    outside the bins is kept exactly; when the reservoir fills again, the bins double in width
//    towards the side with more kept values (pairs of bins merge: counts stay exact) until some
//    of them fit, so the reservoir never holds more than kKeptValues values.
// The j-th smallest value is then exact when it is a kept one (below or above the bins, or a
// pilot value) and otherwise estimated inside its bin, so within one bin width of the exact
// order statistic; type-7 interpolation between two such keeps that bound. Binning computes
// (x - lo) * (1 / width) in floating point, so "within" means up to rounding in the last bits.

// Values a column's reservoir holds: 8 bytes each, so it takes as much memory as the column's
// histogram of kHistogramBins 4-byte counts.
constexpr std::size_t kKeptValues = kHistogramBins / 2;
// The most bytes a block of trial values may take (fewer when options.exact_quantile_bytes is
// smaller): enough for 8 chunks of 256 trials on k = 1..1024, so that 2, 4 and 8 threads have
// equal shares.
constexpr std::uint64_t kMaxBlockBytes = std::uint64_t{64} << 20;
// The most chunks in a block: work for 64 threads, without a block of 50 MB for a small grid.
constexpr std::int64_t kMaxBlockChunks = 64;

// Values a row of the block takes: one trial's width values, padded to an odd number of cache
// lines. A group of columns is read down the rows, 16 rows fetched ahead; with an even number
// (k = 1..1024: 384 lines) every row of a column would fall in the same few sets of the L2 cache
// and the rows fetched ahead would evict each other before they are read.
std::size_t block_row(std::size_t width) {
  const std::size_t lines = (width + 7) / 8;
  return 8 * (lines % 2 == 0 ? lines + 1 : lines);
}

// Chunks per block: as many as fit min(exact_quantile_bytes, kMaxBlockBytes) (rows of
// block_row(width) values), rounded down to a
// power of two (even shares for 2, 4, 8 threads), at least one and at most kMaxBlockChunks and
// the cell's chunks. Depends on the trial count, the width and the options, never on the
// threads.
std::int64_t block_chunks(std::size_t width, std::int64_t chunk, std::int64_t chunks,
                          std::size_t exact_quantile_bytes) {
  const std::uint64_t budget = std::min<std::uint64_t>(exact_quantile_bytes, kMaxBlockBytes);
  const std::uint64_t chunk_bytes =
      static_cast<std::uint64_t>(chunk) * block_row(width) * sizeof(double);
  std::int64_t fit = 1;
  while (2 * fit <= std::min(chunks, kMaxBlockChunks) &&
         static_cast<std::uint64_t>(2 * fit) * chunk_bytes <= budget)
    fit *= 2;
  return fit;
}

enum class TallyMode : std::uint8_t { collecting, point, binned };

// One column's running statistics and histogram bounds; its counts and kept values live in the
// shared arrays.
struct ColumnTally {
  TallyMode mode = TallyMode::collecting;
  bool saturated = false;  // the bins could not widen any more (values near DBL_MAX)
  std::uint32_t kept = 0;  // values in the reservoir
  std::uint64_t seen = 0;  // values counted so far
  // Bins: bin b holds [lo + b width, lo + (b + 1) width). Outside the binned mode lo is +inf,
  // so that every value misses the bins and goes to keep().
  double lo = std::numeric_limits<double>::infinity();
  double width = 0.0;
  double inverse_width = 1.0;
  double point = 0.0;             // the point mode's value
  std::uint64_t point_count = 0;  // and how many values equal it
  // Moments: sum in trial order (the exact path's sum, so the means are identical), and the
  // sums of d = x - shift and d^2 with shift = the first value:
  //   var = (sum d^2 - (sum d)^2 / n) / (n - 1),
  // free of cancellation while (mean - shift)^2 is not much larger than var.
  double sum = 0.0, shift = 0.0, sum_d = 0.0, sum_d2 = 0.0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
};

// The tally's bin of x, or -1 when x is outside the bins (always outside the binned mode).
std::ptrdiff_t bin_of(const ColumnTally& t, double x) {
  const double position = (x - t.lo) * t.inverse_width;
  constexpr auto bins = static_cast<double>(kHistogramBins);
  return position >= 0.0 && position < bins ? static_cast<std::ptrdiff_t>(position) : -1;
}

// Counts the kept values that now fall in the bins and compacts the rest.
void absorb_kept(ColumnTally& t, std::uint32_t* counts, double* kept) {
  std::uint32_t still = 0;
  for (std::uint32_t i = 0; i < t.kept; ++i) {
    const std::ptrdiff_t b = bin_of(t, kept[i]);
    if (b >= 0)
      ++counts[b];
    else
      kept[still++] = kept[i];
  }
  t.kept = still;
}

// Lays the bins over [a, b] (a < b) plus a quarter of its span on either side, or more where
// rounding would leave a or b outside (a span of a few ulps). False when the span overflows.
bool lay_bins(ColumnTally& t, double a, double b) {
  constexpr auto bins = static_cast<double>(kHistogramBins);
  for (double span = 1.5 * (b - a); std::isfinite(span) && std::isfinite(a - span); span *= 2) {
    t.mode = TallyMode::binned;
    t.lo = a - (span - (b - a)) / 2;
    t.width = span / bins;
    t.inverse_width = bins / span;
    if (bin_of(t, a) >= 0 && bin_of(t, b) >= 0)
      return true;
  }
  return false;
}

// Doubles the bins' width towards the side with more kept values: bins 2i and 2i + 1 merge into
// one, so every count stays in a bin that contains its value's old bin.
bool widen(ColumnTally& t, std::uint32_t* counts, const double* kept) {
  std::uint32_t below = 0;
  for (std::uint32_t i = 0; i < t.kept; ++i)
    below += kept[i] < t.lo ? 1U : 0U;
  const bool down = 2 * below > t.kept;
  const double span = t.width * static_cast<double>(kHistogramBins);
  const double lo = down ? t.lo - span : t.lo;
  if (!std::isfinite(lo) || !std::isfinite(lo + 2.0 * span))
    return false;
  const std::size_t half = kHistogramBins / 2;
  const std::size_t offset = down ? half : 0;
  std::uint32_t merged[kHistogramBins / 2];
  for (std::size_t i = 0; i < half; ++i)
    merged[i] = counts[2 * i] + counts[2 * i + 1];
  std::fill(counts, counts + kHistogramBins, 0U);
  std::copy(merged, merged + half, counts + offset);
  t.lo = lo;
  t.width *= 2.0;
  t.inverse_width = static_cast<double>(kHistogramBins) / (2.0 * span);
  return true;
}

// Frees room in a full reservoir (t.kept == kKeptValues): see the modes above.
void make_room(ColumnTally& t, std::uint32_t* counts, double* kept) {
  const auto [smallest, largest] = std::minmax_element(kept, kept + t.kept);
  if (t.mode == TallyMode::collecting && *smallest == *largest) {
    t.mode = TallyMode::point;
    t.point = *smallest;
    t.point_count = t.kept;
    t.kept = 0;
    return;
  }
  // Values spread over nearly the whole double range: their squares overflow, so
  // check_statistics() fails the cell; the oldest kept value is dropped to go on counting.
  const auto saturate = [&] {
    t.saturated = true;
    std::copy(kept + 1, kept + t.kept, kept);
    --t.kept;
  };
  if (t.mode != TallyMode::binned) {
    const TallyMode was = t.mode;
    const bool point = was == TallyMode::point;
    const double a = point ? std::min(*smallest, t.point) : *smallest;
    const double b = point ? std::max(*largest, t.point) : *largest;
    if (!lay_bins(t, a, b)) {
      t.mode = was;
      t.lo = std::numeric_limits<double>::infinity();
      t.inverse_width = 1.0;
      saturate();
      return;
    }
    if (point)  // a <= point <= b, both binned: so is the point
      counts[bin_of(t, t.point)] += static_cast<std::uint32_t>(t.point_count);
    absorb_kept(t, counts, kept);
    return;
  }
  while (t.kept == kKeptValues) {
    if (!widen(t, counts, kept)) {
      saturate();
      return;
    }
    absorb_kept(t, counts, kept);
  }
}

// Counts a value that missed the bins.
void keep(ColumnTally& t, std::uint32_t* counts, double* kept, double x) {
  if (t.mode == TallyMode::point && x == t.point) {
    ++t.point_count;
    return;
  }
  kept[t.kept++] = x;
  if (t.kept == kKeptValues)
    make_room(t, counts, kept);
}

// Adds n rows of G neighbouring columns, values[i stride + j] for column j, to their tallies
// (column j's counts at counts + j kHistogramBins, its reservoir at kept + j kKeptValues): for
// each column the same updates, in trial order, as counting it alone, so its sums and tally do
// not depend on G. Row by row, the G columns' values share one cache line, read once, and their
// sums are G independent chains of additions (each lane its own column's sum: vector additions
// give the same bits) instead of one chain waiting on the last.
// `upcoming`, the histograms counted next, is fetched into the cache a few lines a row, so that
// their lines arrive spread over this group's work instead of all at once.
template <std::size_t G>
void tally_columns(ColumnTally* t, std::uint32_t* counts, double* kept, const double* values,
                   std::size_t stride, std::size_t n, std::span<const std::uint32_t> upcoming) {
  if (n == 0)
    return;
  // The point mode's value, NaN (equal to nothing) in the other modes: a constant column is
  // counted here, without a call per value.
  const auto point_of = [](const ColumnTally& s) {
    return s.mode == TallyMode::point ? s.point : std::numeric_limits<double>::quiet_NaN();
  };
  double sum[G], shift[G], sum_d[G], sum_d2[G], min[G], max[G], lo[G], inverse_width[G], point[G];
  std::uint64_t point_count[G];
  for (std::size_t j = 0; j < G; ++j) {
    if (t[j].seen == 0)
      t[j].shift = values[j];
    sum[j] = t[j].sum;
    shift[j] = t[j].shift;
    sum_d[j] = t[j].sum_d;
    sum_d2[j] = t[j].sum_d2;
    min[j] = t[j].min;
    max[j] = t[j].max;
    lo[j] = t[j].lo;
    inverse_width[j] = t[j].inverse_width;
    point[j] = point_of(t[j]);
    point_count[j] = t[j].point_count;
  }
  constexpr auto bins = static_cast<double>(kHistogramBins);
  constexpr std::size_t kLine = 64 / sizeof(std::uint32_t);  // counts in a cache line
  const std::size_t upcoming_lines = (upcoming.size() + kLine - 1) / kLine;
  const std::size_t lines_per_row = (upcoming_lines + n - 1) / n;
  for (std::size_t i = 0; i < n; ++i) {
    // Rows are far apart (a page or more for large grids): the hardware does not fetch ahead.
    __builtin_prefetch(values + (i + 16) * stride);
    for (std::size_t line = i * lines_per_row;
         line < std::min(upcoming_lines, (i + 1) * lines_per_row); ++line)
      __builtin_prefetch(upcoming.data() + line * kLine, 0, 2);
    const double* x = values + i * stride;
    double position[G];
    for (std::size_t j = 0; j < G; ++j) {
      sum[j] += x[j];
      const double d = x[j] - shift[j];
      sum_d[j] += d;
      sum_d2[j] += d * d;
      min[j] = std::min(min[j], x[j]);
      max[j] = std::max(max[j], x[j]);
      position[j] = (x[j] - lo[j]) * inverse_width[j];  // bin_of(), with the bounds held
    }
    for (std::size_t j = 0; j < G; ++j) {
      if (position[j] >= 0.0 && position[j] < bins) {
        ++counts[j * kHistogramBins + static_cast<std::size_t>(position[j])];
      } else if (x[j] == point[j]) {
        ++point_count[j];
      } else {
        t[j].point_count = point_count[j];
        keep(t[j], counts + j * kHistogramBins, kept + j * kKeptValues, x[j]);
        lo[j] = t[j].lo;
        inverse_width[j] = t[j].inverse_width;
        point[j] = point_of(t[j]);
        point_count[j] = t[j].point_count;
      }
    }
  }
  for (std::size_t j = 0; j < G; ++j) {
    t[j].point_count = point_count[j];
    t[j].seen += n;
    t[j].sum = sum[j];
    t[j].sum_d = sum_d[j];
    t[j].sum_d2 = sum_d2[j];
    t[j].min = min[j];
    t[j].max = max[j];
  }
}

// Columns counted together by tally_columns(): one cache line of a row.
constexpr std::size_t kTallyGroup = 8;

// The type-7 quantiles of a column from its tally (n = t.seen values; kept values sorted here),
// clamped to the column's exact [min, max].
void tally_quantiles(ColumnTally& t, const std::uint32_t* counts, double* kept,
                     const std::vector<double>& levels, std::vector<std::vector<double>>& out,
                     std::size_t column) {
  std::sort(kept, kept + t.kept);
  // Kept values below the bins (or the point) come first in the order, the others last.
  const double split = t.mode == TallyMode::point ? t.point : t.lo;
  const auto low = static_cast<std::uint64_t>(std::lower_bound(kept, kept + t.kept, split) - kept);
  const std::uint64_t middle = t.seen - t.kept;  // the point's count or the bins' total
  // The j-th smallest value (0-based).
  const auto order_statistic = [&](std::uint64_t j) {
    if (j < low)
      return kept[j];
    j -= low;
    if (j >= middle)
      return kept[low + (j - middle)];
    if (t.mode == TallyMode::point)
      return t.point;
    // Inside bin b, the bin's values taken as evenly spread: the same bin as the true order
    // statistic, so within one bin width of it.
    std::uint64_t before = 0;
    for (std::size_t b = 0; b < kHistogramBins; ++b) {
      if (j < before + counts[b]) {
        const double within =
            (static_cast<double>(j - before) + 0.5) / static_cast<double>(counts[b]);
        return t.lo + t.width * (static_cast<double>(b) + within);
      }
      before += counts[b];
    }
    return t.max;  // unreachable: the bins hold `middle` values
  };
  const auto n = static_cast<double>(t.seen);
  for (std::size_t l = 0; l < levels.size(); ++l) {
    // The exact path's formula on the same order statistics (equal to it when both are exact).
    const double h = levels[l] * (n - 1.0);
    const auto below = static_cast<std::uint64_t>(std::floor(h));
    const double x_below = order_statistic(below);
    const double value = below + 1 >= t.seen ? x_below
                                             : x_below + (h - static_cast<double>(below)) *
                                                             (order_statistic(below + 1) - x_below);
    out[l][column] = std::clamp(value, t.min, t.max);
  }
}

// Beyond the memory bound: one pass over the trials, a block at a time (see above). The mean is
// the exact path's (the same sum in trial order); the standard deviation its formula, computed
// from shifted sums; each quantile within one bin width of the exact one (exact where the order
// statistics are kept values), the largest width per metric in `resolution` (0 when exact).
Moments histogram_moments(const Plan& plan, const std::vector<double>& levels,
                          std::size_t exact_quantile_bytes,
                          std::array<double, kMaxMetrics>& resolution) {
  if (static_cast<std::uint64_t>(plan.trials) > std::numeric_limits<std::uint32_t>::max()) {
    throw Error(plan.label + ": " + std::to_string(plan.trials) +
                " trials are more than histogram quantiles count (4294967295 per cell, in "
                "32-bit bins); split the trials over several seeds or cells");
  }
  const std::size_t width = plan.width();
  const std::int64_t chunks = plan.chunks();
  const std::int64_t per_block = block_chunks(width, plan.chunk, chunks, exact_quantile_bytes);
  const auto block_trials = static_cast<std::size_t>(per_block * plan.chunk);
  const std::size_t row = block_row(width);

  // block[row (trial - first) + column], from a cache line's start: a group's 8 values of a row
  // are then one line, not two (a second line missed on every row doubled the counting time).
  std::vector<double> block_storage(row * block_trials + 7);
  void* start = block_storage.data();
  std::size_t space = block_storage.size() * sizeof(double);
  const std::span<double> block(
      static_cast<double*>(std::align(64, row * block_trials * sizeof(double), start, space)),
      row * block_trials);
  std::vector<std::uint32_t> counts(width * kHistogramBins, 0);
  std::vector<double> kept(width * kKeptValues);
  std::vector<ColumnTally> tallies(width);
  ChunkFailures failures(plan);
  bool halt = false;
  const auto columns = static_cast<std::int64_t>(width);
  const auto groups = static_cast<std::int64_t>((width + kTallyGroup - 1) / kTallyGroup);

#pragma omp parallel num_threads(plan.threads)
  {
    const int thread = omp_get_thread_num();
    TrialWorker worker(plan, thread);
    for (std::int64_t first = 0; first < chunks; first += per_block) {
      // One thread reads the flags for all: every thread leaves the loop together.
#pragma omp single
      halt = failures.halted();
      if (halt)
        break;
      const std::int64_t block_begin = first * plan.chunk;
      const std::int64_t last = std::min(chunks, first + per_block);
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t chunk = first; chunk < last; ++chunk) {
        run_chunk(plan, thread, worker, chunk, failures,
                  [&](int, std::int64_t, std::int64_t trial, const double* values) {
                    const auto at = static_cast<std::size_t>(trial - block_begin);
                    std::copy(values, values + width, block.data() + row * at);
                  });
      }
      // Counting allocates nothing and cannot throw.
      const auto n =
          static_cast<std::size_t>(std::min(plan.trials, last * plan.chunk) - block_begin);
      // Static: a thread's groups are neighbours, so the histograms it fetches ahead (the
      // next group's) are the ones it counts next.
#pragma omp for schedule(static)
      for (std::int64_t g = 0; g < groups; ++g) {
        const std::size_t begin = static_cast<std::size_t>(g) * kTallyGroup;
        const std::size_t end = std::min(width, begin + kTallyGroup);
        // The 50 MB of histograms of k = 1..1024 do not stay in cache between blocks.
        const std::size_t next_end = std::min(width, end + kTallyGroup);
        const std::span<const std::uint32_t> upcoming(counts.data() + end * kHistogramBins,
                                                      (next_end - end) * kHistogramBins);
        if (end - begin == kTallyGroup) {
          tally_columns<kTallyGroup>(&tallies[begin], &counts[begin * kHistogramBins],
                                     &kept[begin * kKeptValues], &block[begin], row, n, upcoming);
        } else {
          for (std::size_t col = begin; col < end; ++col)
            tally_columns<1>(&tallies[col], &counts[col * kHistogramBins], &kept[col * kKeptValues],
                             &block[col], row, n, {});
        }
      }
    }
  }
  failures.rethrow_if_any();

  Moments m{std::vector<double>(width), std::vector<double>(width),
            std::vector<std::vector<double>>(levels.size(), std::vector<double>(width))};
  const auto n = static_cast<double>(plan.trials);
#pragma omp parallel for num_threads(plan.threads) schedule(dynamic, 8)
  for (std::int64_t c = 0; c < columns; ++c) {
    const auto col = static_cast<std::size_t>(c);
    ColumnTally& t = tallies[col];
    m.mean[col] = t.sum / n;
    const double squares = std::max(0.0, t.sum_d2 - t.sum_d * t.sum_d / n);
    // A saturated column's spread does not fit a double: infinity, which check_statistics()
    // reports as too large.
    m.std[col] =
        t.saturated ? std::numeric_limits<double>::infinity() : std::sqrt(squares / (n - 1.0));
    tally_quantiles(t, &counts[col * kHistogramBins], &kept[col * kKeptValues], levels, m.quantiles,
                    col);
  }
  resolution.fill(0.0);
  for (std::size_t c = 0; c < width; ++c) {
    if (tallies[c].mode == TallyMode::binned) {
      double& r = resolution[c % plan.metrics];
      r = std::max(r, tallies[c].width);
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
  // histogram_moments: one block of trial values (rows of block_row(width) values, and up to 7
  // more to start it on a cache line) and, per column, a tally, kHistogramBins counts and
  // kKeptValues kept values, shared by all threads.
  const auto block_trials = static_cast<std::uint64_t>(
      block_chunks(width, chunk, static_cast<std::int64_t>(chunks), options.exact_quantile_bytes) *
      chunk);
  const std::uint64_t per_column =
      sizeof(ColumnTally) + kHistogramBins * sizeof(std::uint32_t) + kKeptValues * real;
  return fixed + threads * per_thread + width * per_column +
         (block_trials * block_row(width) + 7) * real;
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
    m = result.exact_quantiles
            ? exact_moments(plan, levels)
            : histogram_moments(plan, levels, options.exact_quantile_bytes, resolution);
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
  result.inferences = per_trial * plan.trials;  // both paths draw every trial once

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
