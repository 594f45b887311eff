#include "fit/nelder_mead.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace kcube::fit {

namespace {

struct Vertex {
  std::vector<double> x;
  double value = 0.0;
};

// One Nelder-Mead run from `start` until the tolerances are met or `budget` evaluations are spent.
// Coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2.
NelderMeadResult run(const std::function<double(std::span<const double>)>& f,
                     const std::vector<double>& start, const NelderMeadOptions& options,
                     int budget) {
  const std::size_t n = start.size();
  int evaluations = 0;
  auto eval = [&](const std::vector<double>& x) {
    ++evaluations;
    return f(x);
  };
  std::vector<Vertex> simplex(n + 1);
  simplex[0] = {start, eval(start)};
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> x = start;
    x[i] += options.step;
    simplex[i + 1] = {x, eval(x)};
  }
  auto point = [&](const std::vector<double>& centroid, const std::vector<double>& worst,
                   double t) {
    // centroid + t (centroid - worst)
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i)
      x[i] = centroid[i] + t * (centroid[i] - worst[i]);
    return x;
  };
  bool converged = false;
  while (evaluations < budget) {
    std::sort(simplex.begin(), simplex.end(),
              [](const Vertex& a, const Vertex& b) { return a.value < b.value; });
    double x_spread = 0.0;
    for (std::size_t v = 1; v <= n; ++v)
      for (std::size_t i = 0; i < n; ++i)
        x_spread = std::max(x_spread, std::abs(simplex[v].x[i] - simplex[0].x[i]));
    // Infinite values on both ends: not converged, the simplex still has to move away.
    const double f_spread = simplex[n].value - simplex[0].value;
    if (std::isfinite(f_spread) && f_spread <= options.f_tolerance &&
        x_spread <= options.x_tolerance) {
      converged = true;
      break;
    }
    std::vector<double> centroid(n, 0.0);
    for (std::size_t v = 0; v < n; ++v)
      for (std::size_t i = 0; i < n; ++i)
        centroid[i] += simplex[v].x[i] / static_cast<double>(n);
    const Vertex& worst = simplex[n];
    Vertex reflected{point(centroid, worst.x, 1.0), 0.0};
    reflected.value = eval(reflected.x);
    if (reflected.value < simplex[0].value) {
      Vertex expanded{point(centroid, worst.x, 2.0), 0.0};
      expanded.value = eval(expanded.x);
      simplex[n] = expanded.value < reflected.value ? expanded : reflected;
      continue;
    }
    if (reflected.value < simplex[n - 1].value) {
      simplex[n] = reflected;
      continue;
    }
    // Contract: outside when the reflection improved on the worst, else inside.
    const bool outside = reflected.value < worst.value;
    Vertex contracted{point(centroid, worst.x, outside ? 0.5 : -0.5), 0.0};
    contracted.value = eval(contracted.x);
    if (contracted.value < (outside ? reflected.value : worst.value)) {
      simplex[n] = contracted;
      continue;
    }
    for (std::size_t v = 1; v <= n; ++v) {
      for (std::size_t i = 0; i < n; ++i)
        simplex[v].x[i] = simplex[0].x[i] + 0.5 * (simplex[v].x[i] - simplex[0].x[i]);
      simplex[v].value = eval(simplex[v].x);
    }
  }
  const auto best =
      std::min_element(simplex.begin(), simplex.end(),
                       [](const Vertex& a, const Vertex& b) { return a.value < b.value; });
  return {best->x, best->value, evaluations, converged};
}

}  // namespace

NelderMeadResult minimize(const std::function<double(std::span<const double>)>& f,
                          std::vector<double> start, const NelderMeadOptions& options) {
  assert(!start.empty());  // a model fit always has a parameter
  NelderMeadResult best = run(f, start, options, options.max_evaluations);
  for (int r = 0; r < options.restarts && best.evaluations < options.max_evaluations; ++r) {
    const NelderMeadResult again =
        run(f, best.x, options, options.max_evaluations - best.evaluations);
    const int evaluations = best.evaluations + again.evaluations;
    // A restart that finds nothing better means the minimum is confirmed.
    const bool improved = again.value < best.value - options.f_tolerance;
    if (again.value <= best.value)
      best = again;
    best.evaluations = evaluations;
    if (!improved)
      break;
  }
  return best;
}

}  // namespace kcube::fit
