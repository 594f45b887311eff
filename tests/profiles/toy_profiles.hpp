// Test-only model profiles with known exact answers, and broken ones, built into the test
// executable.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "kcube/model_profile.hpp"

namespace kcube::test {

/// Accuracy uniform on [0, 1]: F(y) = y, so E[max of k] = k / (k + 1). Cost 2 USD, latency 3 s.
class UniformAccuracy final : public ModelProfile {
 public:
  std::string display_name() const override { return "uniform-accuracy"; }
  void draw_path(RandomStream& stream, std::span<InferenceOutcome> path) const override {
    for (auto& outcome : path)
      outcome = {2.0, 3.0, stream.uniform()};
  }
  bool has_exact() const override { return true; }
  double expected_cost() const override { return 2.0; }
  double expected_latency() const override { return 3.0; }
  double accuracy_cdf(double y) const override { return std::clamp(y, 0.0, 1.0); }
};

/// Accuracy always `at`: F is a step at `at`, so E[max of k] = at. With `hint`, the step is
/// announced as a breakpoint; without, the evaluator has to find it.
class PointMassAccuracy final : public ModelProfile {
 public:
  PointMassAccuracy(double at, bool hint) : at_(at), hint_(hint) {}
  std::string display_name() const override { return "point-mass"; }
  void draw_path(RandomStream&, std::span<InferenceOutcome> path) const override {
    for (auto& outcome : path)
      outcome = {1.0, 1.0, at_};
  }
  bool has_exact() const override { return true; }
  double expected_cost() const override { return 1.0; }
  double expected_latency() const override { return 1.0; }
  double accuracy_cdf(double y) const override { return y >= at_ ? 1.0 : 0.0; }
  std::vector<double> accuracy_breakpoints() const override {
    return hint_ ? std::vector<double>{at_} : std::vector<double>{};
  }

 private:
  double at_;
  bool hint_;
};

/// A profile without the exact interface.
class SimulationOnly final : public ModelProfile {
 public:
  std::string display_name() const override { return "simulation-only"; }
  void draw_path(RandomStream&, std::span<InferenceOutcome> path) const override {
    for (auto& outcome : path)
      outcome = {1.0, 1.0, 0.5};
  }
};

/// Claims the exact interface but returns the given (possibly invalid) values; its CDF is the
/// uniform one scaled by `cdf_scale` (1.5 makes F leave [0, 1]; 0.5 makes F(1) = 0.5).
class BrokenExact final : public ModelProfile {
 public:
  BrokenExact(double cost, double latency, double cdf_scale)
      : cost_(cost), latency_(latency), cdf_scale_(cdf_scale) {}
  std::string display_name() const override { return "broken-exact"; }
  void draw_path(RandomStream&, std::span<InferenceOutcome> path) const override {
    for (auto& outcome : path)
      outcome = {1.0, 1.0, 0.5};
  }
  bool has_exact() const override { return true; }
  double expected_cost() const override { return cost_; }
  double expected_latency() const override { return latency_; }
  double accuracy_cdf(double y) const override { return cdf_scale_ * std::clamp(y, 0.0, 1.0); }

 private:
  double cost_, latency_, cdf_scale_;
};

}  // namespace kcube::test
