// Test-only model profiles, built into the test executable (no plugin library needed), and a
// bitwise comparison of the candidate tables the engine makes of them.
#pragma once

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kcube/candidate.hpp"
#include "kcube/model_profile.hpp"

namespace kcube::test {

/// Inference i of every path costs i + 1 USD, takes i + 1 s and has accuracy (i + 1) / 100:
/// no randomness, so every aggregate can be computed by hand.
class CountingProfile final : public ModelProfile {
 public:
  std::string display_name() const override { return "counting"; }
  void draw_path(RandomStream&, std::span<InferenceOutcome> path) const override {
    for (std::size_t i = 0; i < path.size(); ++i) {
      const double x = static_cast<double>(i + 1);
      path[i] = {x, x, std::min(1.0, x / 100.0)};
    }
  }
};

/// Cost 1 + u, latency u, accuracy u with u uniform on (0, 1), one uniform per inference.
class UniformProfile final : public ModelProfile {
 public:
  std::string display_name() const override { return "uniform"; }
  void draw_path(RandomStream& stream, std::span<InferenceOutcome> path) const override {
    for (auto& o : path) {
      const double u = stream.uniform();
      o = {1.0 + u, u, u};
    }
  }
};

/// Draws a NaN accuracy in inference 3 of every path.
class NanProfile final : public ModelProfile {
 public:
  std::string display_name() const override { return "nan-maker"; }
  void draw_path(RandomStream&, std::span<InferenceOutcome> path) const override {
    for (std::size_t i = 0; i < path.size(); ++i) {
      path[i] = {1.0, 1.0, i == 3 ? std::numeric_limits<double>::quiet_NaN() : 0.5};
    }
  }
};

/// Throws from draw_path.
class ThrowingProfile final : public ModelProfile {
 public:
  std::string display_name() const override { return "thrower"; }
  void draw_path(RandomStream&, std::span<InferenceOutcome>) const override {
    throw std::runtime_error("draw failed on purpose");
  }
};

/// Whether two tables have the same columns, k and means, bit for bit.
inline bool identical(const CandidateTable& a, const CandidateTable& b) {
  if (a.rows.size() != b.rows.size() || a.columns != b.columns)
    return false;
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    const Candidate& x = a.rows[i];
    const Candidate& y = b.rows[i];
    if (x.k != y.k || x.cost != y.cost || x.latency != y.latency || x.accuracy != y.accuracy)
      return false;
  }
  return true;
}

}  // namespace kcube::test
