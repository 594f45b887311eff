// kcube public SDK: counter-based random streams.
//
// Every random number kcube draws is a pure function of (seed, cell, trial, substream, draw
// index): a RandomStream is Philox4x64-10 (Salmon et al., SC'11; Random123) keyed by (seed, cell)
// with the counter (trial, block, substream, sequence). Nothing depends on thread scheduling, so
// results are bit-identical for any number of threads or processes.
//
// One stream holds two independent sequences, each a pure function of its own index, so drawing
// them interleaved in any order gives the same numbers as drawing them apart:
//   uniforms  counter word 3 = 0: Philox block b gives uniforms 4b .. 4b + 3;
//   normals   counter word 3 = 1: Philox block b gives the uniform pairs (u1, u2) of its words
//             (0, 1) and (2, 3), and Box-Muller makes each pair two normals,
//             r cos(theta) then r sin(theta), r = sqrt(-2 ln u1), theta = 2 pi u2,
//             so normals 4b .. 4b + 3 come from block b.
// Normals are made in blocks by fill_normals() in libkcube with SLEEF's vectorized log and sincos
// (the "finz" functions, whose results are bit-identical on every instruction set: AVX-512F with
// 8 lanes, AVX2+FMA with 4, or one lane in portable C with fma()); the SIMD target is chosen
// once at run time (simd_target()) and never changes a number. Accuracy: SLEEF documents 1.0 ULP
// for the u10 functions; tests/random/test_random_accuracy.cpp measures against long double at most
// 0.73 ULP for log on (0, 1), 0.87 for sin and cos on [0, 2 pi), and 2.29 for a whole normal.
// std::normal_distribution is not used: its algorithm differs between standard libraries.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <Random123/philox.h>

namespace kcube {

/// An instruction set that fill_normals() can use. Every target gives the same bits.
enum class SimdTarget : std::uint32_t {
  portable = 0,  ///< One lane, C fma() (any x86-64).
  avx2 = 1,      ///< 4 lanes, AVX2 and FMA.
  avx512 = 2,    ///< 8 lanes, AVX-512F.
};

/// "portable", "avx2" or "avx512": the names KCUBE_SIMD accepts (with "auto").
std::string_view to_string(SimdTarget target) noexcept;

/// The targets this CPU can run, portable first, the best last.
std::vector<SimdTarget> supported_simd_targets();

/// The target a name of the environment variable KCUBE_SIMD means: "auto" is the best this CPU
/// has. kcube::Error when the name is unknown or this CPU lacks the target, listing the targets it
/// has.
SimdTarget parse_simd_target(std::string_view name);

/// The target RandomStream's normals use in this process: set_simd_target()'s if called, else
/// KCUBE_SIMD's (read once), else the best this CPU has. kcube::Error when KCUBE_SIMD is invalid
/// (parse_simd_target()).
SimdTarget simd_target();

/// Makes every later fill_normals() without a target use `target` (for tests and benchmarks; the
/// numbers do not change). kcube::Error when this CPU lacks it.
void set_simd_target(SimdTarget target);

/// Normals number first .. first + out.size() - 1 of the normal sequence of
/// RandomStream(seed, cell, trial, substream), written to `out` with simd_target(). Any first and
/// any size give the same value for the same index. kcube::Error as simd_target().
void fill_normals(std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
                  std::uint64_t substream, std::uint64_t first, std::span<double> out);

/// fill_normals() with an explicit target (tests compare targets bit for bit). kcube::Error when
/// this CPU lacks `target`.
void fill_normals(SimdTarget target, std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
                  std::uint64_t substream, std::uint64_t first, std::span<double> out);

/// The uniform variate in the open interval (0, 1) of a 64-bit Philox word: its top 53 bits,
/// offset by half a step, so never 0 and never 1.
inline double uniform_of_bits(std::uint64_t bits) noexcept {
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

/// The random numbers of one trial path: a sequence of uniforms and a sequence of normals that
/// depend only on (seed, cell, trial, substream). Cheap to construct; not shared between threads.
class RandomStream {
 public:
  /// The stream of trial `trial` in cell `cell` of a run seeded with `seed`. `substream`
  /// separates independent paths of one trial (independent sampling draws a fresh path for
  /// every k: substream = the k's index in the grid, plus one).
  RandomStream(std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
               std::uint64_t substream = 0) noexcept
      : key_{{seed, cell}}, counter_{{trial, 0, substream, kUniformSequence}} {}

  /// The next uniform variate in the open interval (0, 1), 53 random bits.
  double uniform() noexcept {
    if (next_ == block_.size())
      refill();
    return uniform_of_bits(block_[next_++]);
  }

  /// The next standard normal variate (Box-Muller, see the top of this file). The first call
  /// makes kFirstNormalBlock normals, later calls kNormalBlock at a time. kcube::Error only when
  /// KCUBE_SIMD is invalid (simd_target()), on the first draw of a process.
  double normal() {
    if (normal_next_ == normal_count_)
      refill_normals();
    return normals_[normal_next_++];
  }

  /// How many normals one refill makes after the first: 4 Philox blocks, 16 log and 16 sincos
  /// (two 8-lane vectors each).
  static constexpr std::size_t kNormalBlock = 32;
  /// How many normals the first refill makes: a path often needs only a few (an inference of the
  /// gaussian profile takes 3, of token-cost models 2), and a refill costs a Philox block per 4
  /// normals plus a fixed part about as large as 8 normals. Measured per normal of a stream of m
  /// (tools/bench/README.md, "Normals in blocks"): a first block of 8 is within 20 % of the best
  /// first block for m = 3, 6, 12 and 24, while 4 costs 3x more for m = 6 and 32 2x more for m = 3.
  static constexpr std::size_t kFirstNormalBlock = 8;

 private:
  using Philox = r123::Philox4x64;
  static constexpr std::uint64_t kUniformSequence = 0;

  void refill() noexcept {
    const Philox::ctr_type out = Philox()(counter_, key_);
    for (std::size_t i = 0; i < block_.size(); ++i)
      block_[i] = out[i];
    ++counter_[1];
    next_ = 0;
  }

  // Out of line: the block size and the index of the next normal decide what fill_normals makes.
  void refill_normals() {
    const std::size_t count = normal_index_ == 0 ? kFirstNormalBlock : kNormalBlock;
    fill_normals(key_[0], key_[1], counter_[0], counter_[2], normal_index_,
                 std::span<double>(normals_.data(), count));
    normal_index_ += count;
    normal_count_ = count;
    normal_next_ = 0;
  }

  Philox::key_type key_;
  Philox::ctr_type counter_;
  std::array<std::uint64_t, 4> block_{};
  std::size_t next_ = 4;
  std::array<double, kNormalBlock> normals_{};
  std::size_t normal_next_ = 0;
  std::size_t normal_count_ = 0;
  std::uint64_t normal_index_ = 0;  // index in the normal sequence of normals_[normal_count_]
};

}  // namespace kcube
