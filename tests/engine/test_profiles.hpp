// Test-only model profiles, built into the test executable (no plugin library needed).
#pragma once

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

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

}  // namespace kcube::test
