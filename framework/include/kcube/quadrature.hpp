// kcube public SDK: globally adaptive Gauss-Kronrod quadrature, for exact (noise-free)
// evaluation in the host and in model-profile plugins.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>

namespace kcube {

/// When integrate_adaptive() stops refining.
struct QuadratureTolerance {
  /// Stop once the error estimates sum to at most max(absolute, relative * |integral|).
  double absolute = 0.0;
  /// See `absolute`.
  double relative = 0.0;
  /// Refinement stops after this many halvings, which bounds the work for any integrand.
  int max_splits = 4000;
  /// Panels this narrow are kept as they are (their value counts, their error estimate not).
  double min_width = 0x1.0p-50;
};

namespace detail {

/// One panel: the 31-point Gauss-Kronrod value of an integral over [a, b] and its error
/// estimate |K31 - G15| (the Gauss rule uses every other Kronrod node).
struct QuadraturePanel {
  double a = 0.0;
  double b = 0.0;
  double value = 0.0;
  double error = 0.0;
};

template <class F>
QuadraturePanel kronrod_panel(const F& f, double a, double b) {
  // Boost's own adaptive driver (1.74) compares an error estimate that is not scaled by the
  // interval width with an absolute tolerance; so only its nodes and weights are used here.
  using Kronrod = boost::math::quadrature::gauss_kronrod<double, 31>;
  using Gauss = boost::math::quadrature::gauss<double, 15>;
  const auto& x = Kronrod::abscissa();
  const auto& wk = Kronrod::weights();
  const auto& wg = Gauss::weights();
  const double center = 0.5 * (a + b);
  const double half = 0.5 * (b - a);
  const double f0 = f(center);
  double kronrod = wk[0] * f0;
  double gauss = wg[0] * f0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    const double pair = f(center - half * x[i]) + f(center + half * x[i]);
    kronrod += wk[i] * pair;
    if (i % 2 == 0)
      gauss += wg[i / 2] * pair;  // Kronrod node 2i is Gauss node i
  }
  return {a, b, half * kronrod, half * std::abs(kronrod - gauss)};
}

}  // namespace detail

/// The integral of f over [cuts.front(), cuts.back()] by globally adaptive Gauss-Kronrod (as
/// QUADPACK's QAG), starting from one panel per [cuts[i], cuts[i+1]] (put cuts where f has
/// kinks or jumps): the panel with the largest error estimate is halved until `tolerance` is met.
template <class F>
double integrate_adaptive(const F& f, std::span<const double> cuts,
                          const QuadratureTolerance& tolerance) {
  using detail::QuadraturePanel;
  const auto smaller_error = [](const QuadraturePanel& p, const QuadraturePanel& q) {
    return p.error < q.error;
  };
  std::vector<QuadraturePanel> heap;  // a max-heap on the error estimate
  double value = 0.0;
  double error = 0.0;
  double settled = 0.0;  // the values of panels too narrow to halve
  const auto add = [&](const QuadraturePanel& panel) {
    value += panel.value;
    if (panel.b - panel.a <= tolerance.min_width) {
      settled += panel.value;
      return;
    }
    heap.push_back(panel);
    std::push_heap(heap.begin(), heap.end(), smaller_error);
    error += panel.error;
  };
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    add(detail::kronrod_panel(f, cuts[i], cuts[i + 1]));
  }
  for (int split = 0; split < tolerance.max_splits && !heap.empty() &&
                      error > std::max(tolerance.absolute, tolerance.relative * std::abs(value));
       ++split) {
    std::pop_heap(heap.begin(), heap.end(), smaller_error);
    const QuadraturePanel worst = heap.back();
    heap.pop_back();
    value -= worst.value;
    error -= worst.error;
    const double mid = 0.5 * (worst.a + worst.b);
    add(detail::kronrod_panel(f, worst.a, mid));
    add(detail::kronrod_panel(f, mid, worst.b));
  }
  double sum = settled;  // summed afresh: the running value has absorbed removed panels' rounding
  for (const QuadraturePanel& panel : heap)
    sum += panel.value;
  return sum;
}

}  // namespace kcube
