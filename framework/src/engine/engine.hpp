// Private: the simulation engine. Monte Carlo trials of a model profile on a deployment's k grid,
// each trial's samples made into one answer by an aggregator (best-of-k when none is given), with
// per-k statistics; reproducible bit for bit for any thread count.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "host/checked.hpp"
#include "kcube/candidate.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/params.hpp"
#include "kcube/scenario.hpp"

namespace kcube {

/// The aggregator plugin whose rule the overloads without an aggregator apply (best-of-k), and
/// the name and plugin of the one aggregator of a manifest that defines none.
inline constexpr std::string_view kDefaultAggregator = "max-accuracy";

/// The version of the engine's Monte Carlo numbers. Two runs of one manifest and seed give the
/// same Monte Carlo tables exactly when their engine versions are equal; exact evaluation does
/// not depend on it. Bump it, and add a line below and to kEngineVersionHistory, whenever a change
/// alters any simulated number (the generator, a transform, how quantiles are estimated). The
/// store records it with every run; `--resume` and `kcube merge` refuse to mix versions and
/// `kcube compare` says when two runs differ in it.
///   1: Philox4x64-10 uniforms, scalar Box-Muller with glibc log/sin/cos; quantiles beyond the
///      exact-quantile memory from a two-pass histogram over each column's [min, max].
///   2: normals their own Philox4x64-10 sequence of each stream (counter word 3 = 1), made in
///      blocks with SLEEF's vectorized, ISA-deterministic log and sincos (bit-identical on every
///      instruction set the dispatch may choose); uniforms unchanged; one-pass histogram quantiles:
///      bins over each column's first 2,048 values, doubled in width when out-of-range values pile
///      up, and exact order statistics outside them.
inline constexpr int kEngineVersion = 2;

/// One line per engine version, index = version - 1: what changed, for the store and for
/// `kcube compare`.
inline constexpr std::array<std::string_view, 2> kEngineVersionHistory = {
    "Philox4x64-10 uniforms; scalar Box-Muller (glibc log, sin, cos); two-pass histogram "
    "quantiles",
    "Philox4x64-10 uniforms; normals a separate Philox sequence, Box-Muller with SLEEF's "
    "vectorized ISA-deterministic log and sincos; "
    "one-pass histogram quantiles with exact out-of-range values",
};
static_assert(kEngineVersionHistory.size() == kEngineVersion);

/// How trial paths serve the k grid.
enum class Sampling {
  /// One path of max(grid) inferences per trial; the statistic at k uses its first k draws
  /// (common random numbers across k; O(k_max) draws per trial).
  nested = 1,
  /// A fresh path for every k of the grid, like the reference code (O(sum of k) draws).
  independent = 2,
};

/// "nested" or "independent".
std::string_view to_string(Sampling sampling) noexcept;

/// What a Monte Carlo simulation is asked to do.
struct SimulationOptions {
  /// Trials per cell (>= 2, so that a standard deviation exists).
  std::int64_t trials = 1000;
  /// Root seed of the run.
  std::uint64_t seed = 42;
  /// Path scheme.
  Sampling sampling = Sampling::nested;
  /// OpenMP threads; 0 uses OpenMP's default. Results do not depend on it.
  int threads = 0;
  /// Quantile levels in (0, 1) computed for every metric besides 0.025 and 0.975 (e.g. 0.95 and
  /// 0.05 for a chance-constrained scenario); columns are named by quantile_column().
  std::vector<double> quantile_levels;
  /// Memory allowed for keeping every trial's value, which gives exact (order-statistic)
  /// quantiles: 3 metrics x grid size x trials x 8 bytes. Beyond it, quantiles come from
  /// histograms counted in one pass over blocks of trials of at most this size (and 64 MiB),
  /// exact where they fall among a column's pilot or out-of-range values (see
  /// SimulationResult::quantile_resolution).
  std::size_t exact_quantile_bytes = std::size_t{1} << 30;
  /// When set and it becomes true, the simulation stops at the next chunk of trials and throws
  /// RuntimeFailure (used to abandon a cell that ran out of time; nullptr: never stops).
  const std::atomic<bool>* stop = nullptr;
};

/// A simulated candidate table and how it was made.
struct SimulationResult {
  /// Rows on the grid with columns <metric>_std, <metric>_se, <metric>_pNN and trials.
  CandidateTable table;
  /// True when quantiles are exact order statistics (linear interpolation between the two
  /// nearest, as numpy's default); false when they come from histograms.
  bool exact_quantiles = true;
  /// With histograms: for cost (USD), latency (s) and accuracy, the largest bin width over the
  /// grid, which bounds each quantile's error (up to rounding in the last bits); zeros when
  /// quantiles are exact, and 0 for a metric whose columns all stayed exact (each has fewer than
  /// kHistogramBins / 2 values other than one repeated value, e.g. a constant column).
  std::array<double, 3> quantile_resolution{};
  /// Inferences drawn (three normals each for the gaussian profile).
  std::int64_t inferences = 0;
  /// What the run should say besides the table (questions of a log left out, ...).
  std::vector<std::string> notes;
};

/// kcube::Error naming both plugins when `aggregator` needs sample fields (answers, scores) that
/// `profile` does not provide (majority-vote with the gaussian profile).
void require_compatible(const CheckedProfile& profile, const CheckedAggregator& aggregator);

/// kcube::Error naming the profile when it serves a measured curve (has_curve()): its outcomes are
/// expectations per k, so Monte Carlo has nothing to draw; the message says to use the exact
/// evaluator. simulate() calls it before any work.
void require_drawable(const CheckedProfile& profile);

/// kcube::Error naming the profile and the billing when `deployment` bills the input other than
/// per sample (per-call, cached) and `profile` does not provide its samples' input cost
/// (SampleFields::input_cost).
void require_billable(const CheckedProfile& profile, const Deployment& deployment);

/// The questions of a logged profile's `log` that a run with largest k `k_max` uses: all of
/// them, or with log.drop_short those with at least k_max samples (adding a note saying how many
/// were left out and which). kcube::Error when a question is too short without drop_short
/// (naming up to five and the largest k possible), or when none is long enough.
std::vector<const QuestionSamples*> logged_population(const CheckedProfile& profile,
                                                      const QuestionLog& log, int k_max,
                                                      std::vector<std::string>& notes);

/// Identity of a simulation cell, a pure function of the profile's plugin name and validated
/// parameters and of the deployment (P, k_max, k_step, latency model; not its billing, so that
/// billings compared on one deployment bill the same samples): adding a cell to a study never
/// changes another's random numbers. A parameter that `schema` (the plugin's descriptor) types as
/// a path counts by the SHA-256 of the file's bytes, not by where the file is: the host makes
/// paths absolute, so the same study in two checkouts would otherwise draw different numbers.
/// FNV-1a over a canonical text, then a 64-bit mix. kcube::Error naming the file when a path
/// parameter's file cannot be read.
std::uint64_t cell_identity(std::string_view profile_plugin, const Params& profile_params,
                            const Deployment& deployment, std::span<const ParamSpec> schema = {});

/// Runs the Monte Carlo simulation. Throws kcube::Error for bad options (trials < 2, levels out
/// of (0, 1), an empty grid) and kcube::RuntimeFailure when the profile throws anything (also
/// non-std types) on any thread, draws an invalid outcome (non-finite, negative cost or latency,
/// accuracy outside [0, 1]) or outcomes whose sums or spreads overflow, naming the profile (as
/// CheckedProfile::who()) and the trial, or when `options.stop` is raised. No exception leaves an
/// OpenMP region: each chunk of trials catches its own, and the first failure in chunk order is
/// rethrown after the loop.
SimulationResult simulate(const CheckedProfile& profile, std::uint64_t cell,
                          const Deployment& deployment, const SimulationOptions& options);

/// The same for a profile whose plugin is not thread-safe (ThreadSafety::per_thread): one
/// object per worker thread, `profiles.size()` >= the thread count; profiles[i] is used only by
/// thread i. Results are identical to the single-object overload.
SimulationResult simulate(std::span<const CheckedProfile> profiles, std::uint64_t cell,
                          const Deployment& deployment, const SimulationOptions& options);

/// The same with `aggregator` making each trial's samples into one answer: the accuracy at k is
/// its accuracy when allowed k samples, and cost and latency count the samples it used. When it
/// stops early, the table gains the columns samples_used (the mean), samples_used_std,
/// samples_used_se and its quantiles. Also kcube::Error from require_drawable() (a measured
/// curve), require_compatible() and, for a logged profile, from logged_population() (and for
/// short_questions: drop with independent sampling); RuntimeFailure naming the aggregator when
/// it throws or breaks its contract. Without an aggregator (the overloads above) the rule is
/// best-of-k, the max-accuracy plugin's. The cell's random numbers do not depend on the
/// aggregator: aggregators compared on one cell see the same samples.
SimulationResult simulate(const CheckedProfile& profile, const CheckedAggregator& aggregator,
                          std::uint64_t cell, const Deployment& deployment,
                          const SimulationOptions& options);

/// The same with one profile object and one aggregator object per worker thread where their
/// plugins are not thread-safe (a span of one is shared by all threads).
SimulationResult simulate(std::span<const CheckedProfile> profiles,
                          std::span<const CheckedAggregator> aggregators, std::uint64_t cell,
                          const Deployment& deployment, const SimulationOptions& options);

/// Peak bytes simulate() allocates for one cell besides the profile's own objects and the
/// threads' stacks, for the same options and deployment: with exact quantiles, every trial's
/// values (8 bytes x 3 metrics, 4 when the aggregator `stops_early`, x grid size x trials, one
/// store shared by all threads); with histograms (beyond options.exact_quantile_bytes), for
/// each of the metrics x grid size columns one histogram (4 bytes x kHistogramBins), at most
/// kHistogramBins / 2 exact values (8 bytes each), and one block of trials' values (at most
/// min(exact_quantile_bytes, 64 MiB) and 64 chunks of trials), all shared by the threads: about
/// 150 MiB for k = 1..1024 whatever the thread count. Both add each thread's path (max k
/// outcomes) and values, and the statistics. The thread count and the exact/histogram choice
/// are simulate()'s. 0 for options simulate() refuses (an empty
/// grid, trials < 2); throws kcube::Error for a quantile level outside (0, 1).
std::uint64_t simulation_memory_bytes(const Deployment& deployment,
                                      const SimulationOptions& options, bool stops_early = false);

/// One path aggregated exactly as a trial of simulate() aggregates it: for each k of `ks`
/// (increasing, <= path.size()), out[m j + 0..m-1] = the cost and latency of the samples the
/// aggregator used when allowed k (latency by the deployment's latency model and parallelism),
/// its accuracy and, when it stops early, the samples used; returns m (3, or 4 when it stops
/// early). `trial` is passed to the aggregator. RuntimeFailure naming the aggregator when it
/// throws or breaks its contract.
std::size_t aggregate_path(const CheckedAggregator& aggregator,
                           std::span<const InferenceOutcome> path, std::span<const int> ks,
                           const Deployment& deployment, std::int64_t trial,
                           std::vector<double>& out);

/// OpenMP's default number of threads (what SimulationOptions::threads = 0 means).
int default_threads();

/// Number of histogram bins per metric and k when quantiles are not exact. The bins of a column
/// are laid over the range of its first kHistogramBins / 2 values (kept exactly) plus a quarter
/// on either side; values outside them are kept exactly, and when kHistogramBins / 2 of them are
/// kept the bins double in width towards them (see engine.cpp).
inline constexpr std::size_t kHistogramBins = 4096;

}  // namespace kcube
