// Model-profile plugin `gaussian`: the per-inference model of arXiv 2510.18905. Token counts and
// accuracy are clipped normals; cost and latency are linear in the token counts. See README.md.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/erf.hpp>

#include "kcube/kcube.hpp"
#include "kcube/quadrature.hpp"

namespace {

using kcube::ParamSpec;
using kcube::ParamType;

// No promotion of double to long double inside erfc: the result is as accurate (Boost's double
// rational approximations are accurate to a few ulp) and several times faster.
using FastPolicy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

/// Output tokens are capped at this multiple of the input tokens, and input tokens at this
/// multiple of their mean (the paper's clip bounds).
constexpr double kCapRatio = 16.0;

/// Phi(x), the standard normal CDF. Through erfc, so the lower tail keeps its relative accuracy.
double normal_cdf(double x) {
  if (std::isinf(x))
    return x > 0 ? 1.0 : 0.0;
  return 0.5 * boost::math::erfc(-x / std::numbers::sqrt2, FastPolicy());
}

/// 1 - Phi(x), accurate in the upper tail.
double normal_sf(double x) {
  return normal_cdf(-x);
}

/// phi(x), the standard normal density.
double normal_pdf(double x) {
  return std::exp(-0.5 * x * x) * (0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
}

/// E[clip(X, a, b)] for X ~ N(mu, sigma^2), a <= b, in the units of X:
///   a Phi(alpha) + b (1 - Phi(beta)) + mu (Phi(beta) - Phi(alpha))
///     + sigma (phi(alpha) - phi(beta)),   alpha = (a - mu) / sigma, beta = (b - mu) / sigma;
/// clip(mu, a, b) when sigma = 0.
double clipped_normal_mean(double mu, double sigma, double a, double b) {
  if (sigma == 0.0)
    return std::clamp(mu, a, b);
  const double alpha = (a - mu) / sigma;
  const double beta = (b - mu) / sigma;
  // P(a < X < b) from the side of the smaller tail, so neither difference cancels to noise.
  const double inside = alpha >= 0.0  ? normal_sf(alpha) - normal_sf(beta)
                        : beta <= 0.0 ? normal_cdf(beta) - normal_cdf(alpha)
                                      : 1.0 - normal_cdf(alpha) - normal_sf(beta);
  // phi(alpha) - phi(beta) = -phi(alpha) expm1((alpha^2 - beta^2) / 2) when |alpha| <= |beta|
  // (else the mirror form): no cancellation when sigma is huge and alpha, beta are both near 0,
  // and a non-positive exponent, so no overflow when sigma is tiny.
  const double half_gap = 0.5 * (alpha - beta) * (alpha + beta);  // (alpha^2 - beta^2) / 2
  const double pdf_gap = std::abs(alpha) <= std::abs(beta)
                             ? -normal_pdf(alpha) * std::expm1(half_gap)
                             : normal_pdf(beta) * std::expm1(-half_gap);
  return a * normal_cdf(alpha) + b * normal_sf(beta) + mu * inside + sigma * pdf_gap;
}

/// Clipped-normal token counts and accuracy, linear cost and latency (see README.md).
class GaussianProfile final : public kcube::ModelProfile {
 public:
  /// Reads the validated parameters and precomputes the exact expectations.
  explicit GaussianProfile(const kcube::Params& params)
      : c_in_(kcube::get_real(params, "c_in")),
        c_out_(kcube::get_real(params, "c_out")),
        t_in_(kcube::get_real(params, "t_in")),
        t_out_(kcube::get_real(params, "t_out")),
        mu_in_(kcube::get_real(params, "mu_Lin")),
        sigma_in_(kcube::get_real(params, "sigma_Lin")),
        mu_out_(kcube::get_real(params, "mu_Lout")),
        sigma_out_(kcube::get_real(params, "sigma_Lout")),
        acc_mean_(kcube::get_real(params, "acc_mean")),
        acc_std_(kcube::get_real(params, "acc_std")) {
    display_name_ = kcube::has_param(params, "display_name")
                        ? kcube::get_string(params, "display_name")
                        : std::string();
    if (display_name_.empty()) {
      display_name_ = "gaussian(acc_mean=" + kcube::format_number(acc_mean_) +
                      ", acc_std=" + kcube::format_number(acc_std_) + ")";
    }
    // Every draw is bounded by L_in <= 16 mu_Lin and L_out <= 16 L_in <= 256 mu_Lin; when those
    // bounds overflow, a draw could be +inf, which the schema's finite bounds cannot exclude.
    const double most_in = kCapRatio * mu_in_;
    const double most_out = kCapRatio * most_in;
    const double most_cost = c_in_ * most_in + c_out_ * most_out;
    const double most_latency = t_in_ * most_in + t_out_ * most_out;
    if (!std::isfinite(most_cost) || !std::isfinite(most_latency)) {
      throw kcube::Error("the largest possible cost (" + kcube::format_number(most_cost) +
                         " USD) or latency (" + kcube::format_number(most_latency) +
                         " s) of one inference overflows: lower mu_Lin or the per-token prices "
                         "and times");
    }
    const double in_tokens = expected_input_tokens();
    const double out_tokens = expected_output_tokens();
    expected_input_cost_ = c_in_ * in_tokens;
    expected_cost_ = expected_input_cost_ + c_out_ * out_tokens;
    expected_latency_ = t_in_ * in_tokens + t_out_ * out_tokens;
  }

  std::string display_name() const override { return display_name_; }

  /// Inference i takes the normals z1, z2, z3, in this order, from `stream`:
  ///   L_in  = clip(mu_Lin + sigma_Lin z1, 1, 16 mu_Lin)
  ///   L_out = clip(mu_Lout + sigma_Lout z2, 1, 16 L_in)
  ///   A     = clip(acc_mean + acc_std z3, 0, 1)
  ///   c = c_in L_in + c_out L_out,  t = t_in L_in + t_out L_out.
  /// Token counts stay real-valued (they are means of a token-count model, not counts).
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    const double in_cap = kCapRatio * mu_in_;
    for (kcube::InferenceOutcome& outcome : path) {
      const double z1 = stream.normal();
      const double z2 = stream.normal();
      const double z3 = stream.normal();
      const double l_in = std::clamp(mu_in_ + sigma_in_ * z1, 1.0, in_cap);
      const double l_out = std::clamp(mu_out_ + sigma_out_ * z2, 1.0, kCapRatio * l_in);
      outcome.input_cost = c_in_ * l_in;
      outcome.cost = outcome.input_cost + c_out_ * l_out;
      outcome.latency = t_in_ * l_in + t_out_ * l_out;
      outcome.accuracy = std::clamp(acc_mean_ + acc_std_ * z3, 0.0, 1.0);
    }
  }

  /// Every outcome's input_cost is c_in L_in.
  kcube::SampleFields provides() const override { return {.input_cost = true}; }

  bool has_exact() const override { return true; }
  double expected_cost() const override { return expected_cost_; }
  /// E[c_in L_in] = c_in E[L_in].
  double expected_input_cost() const override { return expected_input_cost_; }
  double expected_latency() const override { return expected_latency_; }

  /// F(y) = Phi((y - acc_mean) / acc_std) on [0, 1) (F(0) is the atom of the clip at 0), 0 below,
  /// 1 from 1 on (the atom at 1); with acc_std = 0 a step at clip(acc_mean, 0, 1).
  double accuracy_cdf(double y) const override {
    if (y < 0.0)
      return 0.0;
    if (y >= 1.0)
      return 1.0;
    if (acc_std_ == 0.0)
      return y >= std::clamp(acc_mean_, 0.0, 1.0) ? 1.0 : 0.0;
    return normal_cdf((y - acc_mean_) / acc_std_);
  }

  /// clip(acc_mean) and acc_mean +- 1, 2, 4, 8 acc_std, clipped into [0, 1].
  std::vector<double> accuracy_breakpoints() const override {
    std::vector<double> points{std::clamp(acc_mean_, 0.0, 1.0)};
    if (acc_std_ > 0.0) {
      for (const double m : {1.0, 2.0, 4.0, 8.0}) {
        points.push_back(std::clamp(acc_mean_ - m * acc_std_, 0.0, 1.0));
        points.push_back(std::clamp(acc_mean_ + m * acc_std_, 0.0, 1.0));
      }
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    return points;
  }

 private:
  /// E[L_in] = E[clip(X_in, 1, 16 mu_Lin)], X_in ~ N(mu_Lin, sigma_Lin^2), tokens.
  double expected_input_tokens() const {
    return clipped_normal_mean(mu_in_, sigma_in_, 1.0, kCapRatio * mu_in_);
  }

  /// m(l) = E[L_out | L_in = l] = E[clip(X_out, 1, 16 l)], tokens.
  double conditional_output_tokens(double l_in) const {
    return clipped_normal_mean(mu_out_, sigma_out_, 1.0, kCapRatio * l_in);
  }

  /// E[L_out] = E[m(L_in)], tokens. L_in has atoms P(L_in = 1) = Phi(alpha) and
  /// P(L_in = 16 mu_Lin) = 1 - Phi(beta) and the density phi(z) in z = (l - mu_Lin) / sigma_Lin
  /// on (alpha, beta), so
  ///   E[L_out] = Phi(alpha) m(1) + (1 - Phi(beta)) m(16 mu_Lin)
  ///              + integral_alpha^beta m(mu_Lin + sigma_Lin z) phi(z) dz.
  double expected_output_tokens() const {
    const double in_cap = kCapRatio * mu_in_;
    if (sigma_in_ == 0.0)
      return conditional_output_tokens(mu_in_);  // mu_Lin >= 1 is inside [1, 16 mu_Lin]
    if (sigma_out_ == 0.0) {
      // L_out = min(mu_Lout, 16 L_in) (mu_Lout >= 1, 16 L_in >= 16), so with c = mu_Lout / 16,
      // E[L_out] = 16 E[min(c, L_in)] = 16 E[clip(X_in, 1, min(16 mu_Lin, c))] when c >= 1,
      // and mu_Lout when c < 1 (then L_in >= 1 > c always).
      const double c = mu_out_ / kCapRatio;
      return c < 1.0 ? mu_out_
                     : kCapRatio * clipped_normal_mean(mu_in_, sigma_in_, 1.0, std::min(in_cap, c));
    }
    const double alpha = (1.0 - mu_in_) / sigma_in_;
    const double beta = (in_cap - mu_in_) / sigma_in_;
    double total = normal_cdf(alpha) * conditional_output_tokens(1.0) +
                   normal_sf(beta) * conditional_output_tokens(in_cap);

    // Beyond |z| = 38, phi(z) < 1e-314: the density part there is below double's resolution.
    const double lo = std::max(alpha, -38.0);
    const double hi = std::min(beta, 38.0);
    if (!(lo < hi))
      return total;
    // m changes fastest where the cap 16 l crosses mu_Lout, l = mu_Lout / 16, over a width of
    // about sigma_Lout / 16 tokens: split there and around the normal's bulk.
    const double z_cap = (mu_out_ / kCapRatio - mu_in_) / sigma_in_;
    const double z_width = sigma_out_ / kCapRatio / sigma_in_;
    std::vector<double> cuts{lo, hi, 0.0, -2.0, 2.0, -6.0, 6.0, -12.0, 12.0, z_cap};
    for (const double m : {1.0, 4.0, 16.0}) {
      cuts.push_back(z_cap - m * z_width);
      cuts.push_back(z_cap + m * z_width);
    }
    std::erase_if(cuts, [&](double z) { return !(z >= lo && z <= hi); });
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());

    const auto integrand = [&](double z) {
      return conditional_output_tokens(mu_in_ + sigma_in_ * z) * normal_pdf(z);
    };
    // The panels' estimates |K - G| sum to at most 1e-14 of the integral: 2e-11 tokens for the
    // paper's 2048, a few times double's rounding of the sum itself.
    total += kcube::integrate_adaptive(integrand, cuts, {.relative = 1e-14, .max_splits = 2000});
    return total;
  }

  double c_in_, c_out_, t_in_, t_out_;
  double mu_in_, sigma_in_, mu_out_, sigma_out_;
  double acc_mean_, acc_std_;
  std::string display_name_;
  double expected_cost_ = 0.0;
  double expected_input_cost_ = 0.0;
  double expected_latency_ = 0.0;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr ParamSpec kParams[] = {
    {.key = "c_in",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = kInf,
     .unit = "USD/token",
     .doc = "price of one input token",
     .max_exclusive = true},
    {.key = "c_out",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = kInf,
     .unit = "USD/token",
     .doc = "price of one output token",
     .max_exclusive = true},
    {.key = "t_in",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = kInf,
     .unit = "s/token",
     .doc = "time to process one input token",
     .max_exclusive = true},
    {.key = "t_out",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = kInf,
     .unit = "s/token",
     .doc = "time to generate one output token",
     .max_exclusive = true},
    {.key = "mu_Lin",
     .type = ParamType::real,
     .default_value = "1024",
     .min = 1,
     .max = kInf,
     .unit = "tokens",
     .doc = "mean input length before clipping to [1, 16 mu_Lin] (paper: 1024)",
     .max_exclusive = true},
    {.key = "sigma_Lin",
     .type = ParamType::real,
     .default_value = "64",
     .min = 0,
     .max = kInf,
     .unit = "tokens",
     .doc = "standard deviation of the input length before clipping (paper: 64)",
     .max_exclusive = true},
    {.key = "mu_Lout",
     .type = ParamType::real,
     .default_value = "2048",
     .min = 1,
     .max = kInf,
     .unit = "tokens",
     .doc = "mean output length before clipping to [1, 16 L_in] (paper: 2048)",
     .max_exclusive = true},
    {.key = "sigma_Lout",
     .type = ParamType::real,
     .default_value = "128",
     .min = 0,
     .max = kInf,
     .unit = "tokens",
     .doc = "standard deviation of the output length before clipping (paper: 128)",
     .max_exclusive = true},
    {.key = "acc_mean",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = 1,
     .doc = "mean of one inference's accuracy before clipping to [0, 1]"},
    {.key = "acc_std",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = kInf,
     .doc = "standard deviation of one inference's accuracy before clipping",
     .max_exclusive = true},
    {.key = "display_name",
     .type = ParamType::string,
     .doc = "name shown in reports (default: gaussian(acc_mean=..., acc_std=...))"},
};

}  // namespace

extern const kcube::PluginDescriptor kcube_gaussian_descriptor;
const kcube::PluginDescriptor kcube_gaussian_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::model_profile,
    .name = "gaussian",
    .version = "1.1.0",
    .summary =
        "the paper's model: clipped-normal token counts and accuracy, linear cost and latency",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<GaussianProfile>,
};
KCUBE_EXPORT_PLUGIN(kcube_gaussian_descriptor)
