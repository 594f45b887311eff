// kcube public SDK: counter-based random streams.
//
// Every random number kcube draws is a pure function of (seed, cell, trial, draw index): a
// RandomStream is Philox4x64-10 (Salmon et al., SC'11; Random123) keyed by (seed, cell) with the
// counter (trial, block). Nothing depends on thread scheduling, so results are bit-identical for
// any number of threads or processes. Normals use the Box-Muller transform (not
// std::normal_distribution, whose algorithm differs between standard libraries).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

#include <Random123/philox.h>

namespace kcube {

/// The random numbers of one trial path: a sequence of uniforms and normals that depends only on
/// (seed, cell, trial). Cheap to construct; not shared between threads.
class RandomStream {
 public:
  /// The stream of trial `trial` in cell `cell` of a run seeded with `seed`. `substream`
  /// separates independent paths of one trial (independent sampling draws a fresh path for
  /// every k: substream = the k's index in the grid, plus one).
  RandomStream(std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
               std::uint64_t substream = 0) noexcept
      : key_{{seed, cell}}, counter_{{trial, 0, substream, 0}} {}

  /// A uniform variate in the open interval (0, 1), 53 random bits.
  double uniform() noexcept {
    if (next_ == block_.size())
      refill();
    // Top 53 bits, offset by half a step: never 0, never 1.
    return (static_cast<double>(block_[next_++] >> 11) + 0.5) * 0x1.0p-53;
  }

  /// A standard normal variate (Box-Muller; one pair of uniforms gives two normals).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

 private:
  using Philox = r123::Philox4x64;

  void refill() noexcept {
    const Philox::ctr_type out = Philox()(counter_, key_);
    for (std::size_t i = 0; i < block_.size(); ++i)
      block_[i] = out[i];
    ++counter_[1];
    next_ = 0;
  }

  Philox::key_type key_;
  Philox::ctr_type counter_;
  std::array<std::uint64_t, 4> block_{};
  std::size_t next_ = 4;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace kcube
