// knee-point: the knee of the Pareto front of the feasible candidates, ordered by k. See
// README.md.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "kcube/kcube.hpp"

namespace {

/// How the knee is found.
enum class Method {
  chord,         ///< Farthest point from the line through the first and last Pareto points.
  curvature,     ///< Largest curvature of the 3D path p(k).
  reference_2d,  ///< Largest curvature of the (cost, latency) path, as the reference code does.
};

/// The space the front is measured in.
enum class Normalization {
  budget,  ///< (C/cost_max, T/latency_max, A).
  range,   ///< Each axis rescaled to [0, 1] over the Pareto points.
};

/// What picks k when there is no knee.
enum class Fallback {
  utopia_closest,  ///< The utopia-closest rule on the same problem (status fallback).
  none,            ///< Nothing (status too-few-points).
};

/// Parameter schema: three enumerations, all defaulted.
constexpr kcube::ParamSpec knee_point_params[] = {
    {.key = "method",
     .type = kcube::ParamType::enumeration,
     .default_value = "chord",
     .choices = "chord|curvature|reference-2d",
     .doc = "how the knee is found: farthest point from the chord, largest curvature of the 3D "
            "front, or the reference code's (cost, latency) curvature"},
    {.key = "normalize",
     .type = kcube::ParamType::enumeration,
     .default_value = "budget",
     .choices = "budget|range",
     .doc = "space the front is measured in: (C/cost_max, T/latency_max, A), or each axis "
            "rescaled to [0, 1] over the Pareto points"},
    {.key = "fallback",
     .type = kcube::ParamType::enumeration,
     .default_value = "utopia-closest",
     .choices = "utopia-closest|none",
     .doc = "what picks k when there is no knee: the utopia-closest rule, or nothing "
            "(status too-few-points)"},
};

/// The Method named by a validated `method` value.
Method parse_method(const std::string& text) {
  if (text == "curvature") {
    return Method::curvature;
  }
  if (text == "reference-2d") {
    return Method::reference_2d;
  }
  // The host validated the value against the schema's choices.
  assert(text == "chord");
  return Method::chord;
}

/// The Normalization named by a validated `normalize` value.
Normalization parse_normalization(const std::string& text) {
  if (text == "range") {
    return Normalization::range;
  }
  // The host validated the value against the schema's choices.
  assert(text == "budget");
  return Normalization::budget;
}

/// The Fallback named by a validated `fallback` value.
Fallback parse_fallback(const std::string& text) {
  if (text == "none") {
    return Fallback::none;
  }
  // The host validated the value against the schema's choices.
  assert(text == "utopia-closest");
  return Fallback::utopia_closest;
}

/// A point (or derivative) in the normalised (cost, latency, accuracy) space; dimensionless.
struct Vec3 {
  double cost = 0.0;
  double latency = 0.0;
  double accuracy = 0.0;
};

/// Component-wise arithmetic and the cross product and Euclidean norm of 3-vectors.
Vec3 operator+(Vec3 a, Vec3 b) {
  return {a.cost + b.cost, a.latency + b.latency, a.accuracy + b.accuracy};
}
Vec3 operator-(Vec3 a, Vec3 b) {
  return {a.cost - b.cost, a.latency - b.latency, a.accuracy - b.accuracy};
}
Vec3 operator*(double s, Vec3 a) {
  return {s * a.cost, s * a.latency, s * a.accuracy};
}
Vec3 operator/(Vec3 a, double s) {
  return {a.cost / s, a.latency / s, a.accuracy / s};
}
Vec3 cross(Vec3 a, Vec3 b) {
  return {a.latency * b.accuracy - a.accuracy * b.latency,
          a.accuracy * b.cost - a.cost * b.accuracy, a.cost * b.latency - a.latency * b.cost};
}
double norm(Vec3 a) {
  return std::hypot(a.cost, a.latency, a.accuracy);
}

/// The Pareto points in increasing k, in the normalised space.
std::vector<Vec3> normalised_front(const kcube::SelectionProblem& problem, Normalization space) {
  const auto& rows = problem.table.rows;
  std::vector<Vec3> points;
  points.reserve(problem.pareto.size());
  for (std::size_t row : problem.pareto) {
    const kcube::Candidate& c = rows[row];
    if (space == Normalization::budget) {
      points.push_back({kcube::budget_share(c.cost, problem.budget.cost_max),
                        kcube::budget_share(c.latency, problem.budget.latency_max), c.accuracy});
    } else {
      points.push_back({c.cost, c.latency, c.accuracy});
    }
  }
  if (space == Normalization::range) {
    // x -> (x - min) / (max - min) per axis over the Pareto points; a flat axis maps to 0.
    for (double Vec3::*axis : {&Vec3::cost, &Vec3::latency, &Vec3::accuracy}) {
      const auto [lo, hi] = std::minmax_element(
          points.begin(), points.end(), [axis](Vec3 a, Vec3 b) { return a.*axis < b.*axis; });
      const double min = (*lo).*axis;
      const double max = (*hi).*axis;
      for (Vec3& p : points) {
        p.*axis = max == min ? 0.0 : (p.*axis - min) / (max - min);
      }
    }
  }
  return points;
}

/// The knee a method found, as a position in the Pareto list and its score, or why there is none.
struct Knee {
  std::optional<std::size_t> position;
  double score = 0.0;
  std::string why_none;
};

/// The point farthest from the line through the first and last points:
/// d_i = |(p_i - p_0) x (p_last - p_0)| / |p_last - p_0|.
Knee chord_knee(const std::vector<Vec3>& points, const std::string& space) {
  const Vec3 chord = points.back() - points.front();
  const double length = norm(chord);
  if (length == 0.0) {
    return {{},
            0.0,
            "the first and last Pareto points coincide in " + space + " space (there is no chord)"};
  }
  Knee knee;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double distance = norm(cross(points[i] - points.front(), chord)) / length;
    // Strictly farther only: ties keep the smallest k.
    if (distance > knee.score) {
      knee = {i, distance, ""};
    }
  }
  if (!knee.position) {
    knee.why_none = "all " + std::to_string(points.size()) +
                    " Pareto points lie on one straight line in " + space + " space";
  }
  return knee;
}

/// Curvature from the first and second derivatives along k; empty where p' = 0 (or so small
/// that |p'|^3 underflows), since the curvature is undefined there.
std::optional<double> curvature(Vec3 d1, Vec3 d2, Method method) {
  if (method == Method::reference_2d) {
    // kappa = |x' y'' - y' x''| / (x'^2 + y'^2)^{3/2}, x = cost, y = latency.
    const double speed_cubed = std::pow(d1.cost * d1.cost + d1.latency * d1.latency, 1.5);
    if (speed_cubed == 0.0) {
      return std::nullopt;
    }
    return std::abs(d1.cost * d2.latency - d1.latency * d2.cost) / speed_cubed;
  }
  // kappa = |p' x p''| / |p'|^3.
  const double speed = norm(d1);
  const double speed_cubed = speed * speed * speed;
  if (speed_cubed == 0.0) {
    return std::nullopt;
  }
  return norm(cross(d1, d2)) / speed_cubed;
}

/// The interior point of largest curvature, with derivatives along k from non-uniform central
/// differences (h1 = k_i - k_{i-1}, h2 = k_{i+1} - k_i):
///   p'  = (h1^2 p_{i+1} - h2^2 p_{i-1} + (h2^2 - h1^2) p_i) / (h1 h2 (h1 + h2)),
///   p'' = 2 (h1 p_{i+1} - (h1 + h2) p_i + h2 p_{i-1}) / (h1 h2 (h1 + h2)).
Knee curvature_knee(const std::vector<double>& ks, const std::vector<Vec3>& points, Method method,
                    const std::string& space) {
  Knee knee;
  bool any_defined = false;
  for (std::size_t i = 1; i + 1 < points.size(); ++i) {
    const double h1 = ks[i] - ks[i - 1];
    const double h2 = ks[i + 1] - ks[i];
    const double denominator = h1 * h2 * (h1 + h2);
    const Vec3 d1 =
        (h1 * h1 * points[i + 1] - h2 * h2 * points[i - 1] + (h2 * h2 - h1 * h1) * points[i]) /
        denominator;
    const Vec3 d2 =
        2.0 * (h1 * points[i + 1] - (h1 + h2) * points[i] + h2 * points[i - 1]) / denominator;
    const std::optional<double> kappa = curvature(d1, d2, method);
    if (!kappa) {
      continue;
    }
    any_defined = true;
    // Strictly larger only: ties keep the smallest k.
    if (*kappa > knee.score) {
      knee = {i, *kappa, ""};
    }
  }
  if (!any_defined) {
    knee.why_none = "the front does not move along k at any interior Pareto point in " + space +
                    " space (the curvature is undefined)";
  } else if (!knee.position) {
    knee.why_none = method == Method::reference_2d
                        ? "the (cost, latency) curvature is 0 at every interior Pareto point in " +
                              space + " space, as when cost and latency are both linear in k"
                        : "the curvature is 0 at every interior Pareto point in " + space +
                              " space (the front is straight)";
  }
  return knee;
}

/// Picks the knee of the Pareto front ordered by k; see README.md for the three methods.
class KneePoint final : public kcube::Optimizer {
 public:
  /// Reads `method`, `normalize` and `fallback` (validated by the host).
  explicit KneePoint(const kcube::Params& params)
      : method_(parse_method(kcube::get_string(params, "method"))),
        normalization_(parse_normalization(kcube::get_string(params, "normalize"))),
        fallback_(parse_fallback(kcube::get_string(params, "fallback"))) {}

  /// The knee, or the fallback's pick when the front has none.
  kcube::Selection select(const kcube::SelectionProblem& problem) const override {
    // The Pareto set of a finite set is empty only when the set is.
    if (problem.pareto.empty()) {
      return {kcube::SelectionStatus::infeasible, {}, {}, "no candidate satisfies the budgets"};
    }
    if (problem.pareto.size() < 3) {
      return no_knee(problem, problem.pareto.size() == 1
                                  ? "there is only 1 Pareto point and a knee needs at least 3"
                                  : "there are only 2 Pareto points and a knee needs at least 3");
    }
    const std::string space =
        normalization_ == Normalization::budget ? "budget-normalised" : "range-normalised";
    const std::vector<Vec3> points = normalised_front(problem, normalization_);
    std::vector<double> ks;
    for (std::size_t row : problem.pareto) {
      ks.push_back(problem.table.rows[row].k);
    }
    const Knee knee = method_ == Method::chord ? chord_knee(points, space)
                                               : curvature_knee(ks, points, method_, space);
    if (!knee.position) {
      return no_knee(problem, knee.why_none);
    }
    return {kcube::SelectionStatus::selected, problem.table.rows[problem.pareto[*knee.position]].k,
            knee.score, knee_reason(problem, knee.score, space)};
  }

 private:
  /// Why the knee was picked, with its score (the distance or curvature) and the front's size.
  std::string knee_reason(const kcube::SelectionProblem& problem, double score,
                          const std::string& space) const {
    const auto& rows = problem.table.rows;
    const std::string where = " in " + space + " space, among " +
                              std::to_string(problem.pareto.size()) + " Pareto points";
    switch (method_) {
      case Method::chord:
        return "Pareto point farthest from the chord between k = " +
               std::to_string(rows[problem.pareto.front()].k) +
               " and k = " + std::to_string(rows[problem.pareto.back()].k) + ", at distance " +
               kcube::format_number(score, 4) + where;
      case Method::curvature:
        return "largest curvature " + kcube::format_number(score, 4) +
               " of the Pareto front along k" + where;
      case Method::reference_2d:
        return "largest reference-2d curvature " + kcube::format_number(score, 4) +
               " of the (cost, latency) path along k" + where +
               "; this variant ignores accuracy and is only rounding noise when cost and latency "
               "are both linear in k";
    }
    return {};
  }

  /// "chord", "curvature" or "reference-2d", for reasons.
  const char* method_name() const {
    switch (method_) {
      case Method::chord:
        return "chord";
      case Method::curvature:
        return "curvature";
      case Method::reference_2d:
        return "reference-2d";
    }
    return "unknown";
  }

  /// The answer when the knee rule cannot apply, for the reason `why`.
  kcube::Selection no_knee(const kcube::SelectionProblem& problem, const std::string& why) const {
    const std::string prefix = "no knee (" + std::string(method_name()) + "): " + why;
    if (fallback_ == Fallback::none) {
      return {
          kcube::SelectionStatus::too_few_points, {}, {}, prefix + ", and the fallback is none"};
    }
    // The utopia-closest rule: argmin over the Pareto set of
    // d = sqrt((C/cost_max)^2 + (T/latency_max)^2 + (1 - A)^2), ties to the smallest k.
    const auto& rows = problem.table.rows;
    const kcube::UtopiaPick best = kcube::nearest_to_utopia(rows, problem.pareto, problem.budget);
    return {kcube::SelectionStatus::fallback, rows[best.row].k, best.distance,
            prefix +
                ", so utopia-closest picked the Pareto point nearest the utopia point ($0, "
                "0 s, accuracy 1), at budget-normalised distance " +
                kcube::format_number(best.distance, 4)};
  }

  Method method_;
  Normalization normalization_;
  Fallback fallback_;
};

const kcube::PluginDescriptor descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::optimizer,
    .name = "knee-point",
    .version = "1.0.0",
    .summary =
        "the knee of the Pareto front ordered by k (chord distance or curvature), with a "
        "utopia-closest fallback",
    .params = knee_point_params,
    .param_count = std::size(knee_point_params),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<KneePoint>,
};

}  // namespace

KCUBE_EXPORT_PLUGIN(descriptor)
