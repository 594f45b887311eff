// Private: a small derivative-free minimizer (Nelder and Mead 1965, with the standard
// coefficients of Lagarias et al. 1998) for the few unconstrained coordinates of a model fit.
#pragma once

#include <functional>
#include <span>
#include <vector>

namespace kcube::fit {

/// What minimize() stops on.
struct NelderMeadOptions {
  /// The initial simplex: the start plus `step` along each coordinate.
  double step = 0.5;
  /// Stops when the simplex's function values differ by at most this (absolute) and its vertices
  /// by at most `x_tolerance` in every coordinate.
  double f_tolerance = 1e-10;
  double x_tolerance = 1e-8;
  /// Stops after this many function evaluations at the latest.
  int max_evaluations = 4000;
  /// Restarts from the best vertex with a fresh simplex this many times: a restart undoes a
  /// simplex that collapsed before reaching the minimum (a known failure of the method,
  /// McKinnon 1998).
  int restarts = 2;
};

/// The best point found and its value.
struct NelderMeadResult {
  std::vector<double> x;
  double value = 0.0;
  int evaluations = 0;
  /// Whether the tolerances were met (false: stopped by max_evaluations).
  bool converged = false;
};

/// Minimizes `f` from `start` (at least one coordinate). `f` may return +infinity where it is
/// undefined (the simplex then shrinks away from there); it must not return NaN.
NelderMeadResult minimize(const std::function<double(std::span<const double>)>& f,
                          std::vector<double> start, const NelderMeadOptions& options = {});

}  // namespace kcube::fit
