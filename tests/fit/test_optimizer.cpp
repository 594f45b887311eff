// The Nelder-Mead minimizer of kcube fit (framework/src/fit/nelder_mead.hpp) on functions whose
// minimum is known.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <span>

#include "fit/nelder_mead.hpp"

using kcube::fit::minimize;

TEST_CASE("Nelder-Mead finds the minimum of Rosenbrock's valley from the classic start") {
  // f = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1); the curved valley defeats naive
  // searches.
  auto f = [](std::span<const double> x) {
    return (1 - x[0]) * (1 - x[0]) + 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]);
  };
  const auto r = minimize(f, {-1.2, 1.0});
  CHECK(r.converged);
  CHECK(r.x[0] == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(r.x[1] == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(r.value < 1e-8);
}

TEST_CASE("Nelder-Mead finds a shifted, scaled quadratic's minimum in three dimensions") {
  auto f = [](std::span<const double> x) {
    return 4 * (x[0] - 3) * (x[0] - 3) + (x[1] + 2) * (x[1] + 2) +
           0.25 * (x[2] - 0.5) * (x[2] - 0.5) + (x[0] - 3) * (x[1] + 2) + 7;
  };
  const auto r = minimize(f, {0.0, 0.0, 0.0});
  CHECK(r.converged);
  CHECK(r.x[0] == doctest::Approx(3.0).epsilon(1e-4));
  CHECK(r.x[1] == doctest::Approx(-2.0).epsilon(1e-4));
  CHECK(r.x[2] == doctest::Approx(0.5).epsilon(1e-3));
  CHECK(r.value == doctest::Approx(7.0).epsilon(1e-9));
}

TEST_CASE("Nelder-Mead moves away from where the function is infinite") {
  // Defined only for x > 0: f = x - log x, minimum 1 at x = 1; the start's simplex straddles 0.
  auto f = [](std::span<const double> x) {
    return x[0] > 0 ? x[0] - std::log(x[0]) : std::numeric_limits<double>::infinity();
  };
  kcube::fit::NelderMeadOptions options;
  options.step = -0.5;
  const auto r = minimize(f, {0.2}, options);
  CHECK(r.converged);
  CHECK(r.x[0] == doctest::Approx(1.0).epsilon(1e-4));
}

TEST_CASE("Nelder-Mead stops at its evaluation budget and says it did not converge") {
  auto f = [](std::span<const double> x) {
    return (1 - x[0]) * (1 - x[0]) + 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]);
  };
  kcube::fit::NelderMeadOptions options;
  options.max_evaluations = 20;
  const auto r = minimize(f, {-1.2, 1.0}, options);
  CHECK_FALSE(r.converged);
  // The budget is checked between steps: the last step (at most n + 2 = 4 evaluations) and a
  // restart's first simplex (n + 1 = 3) may go past it.
  CHECK(r.evaluations <= 20 + 4 + 3);
}
