// kcube public SDK: the token-length model of one inference's cost and latency (arXiv
// 2510.18905), shared by the profiles that use it (`gaussian`, `difficulty`) so that they have
// the same parameters, the same draws and the same expectations.
//
// Input and output token counts are clipped normals; cost and latency are linear in them:
//   L_in  = clip(mu_Lin + sigma_Lin z1, 1, 16 mu_Lin)
//   L_out = clip(mu_Lout + sigma_Lout z2, 1, 16 L_in)
//   c = c_in L_in + c_out L_out,  t = t_in L_in + t_out L_out,  input part of c: c_in L_in.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>

#include "kcube/model_profile.hpp"
#include "kcube/params.hpp"
#include "kcube/random.hpp"

namespace kcube {

/// Phi(x), the standard normal CDF, through erfc so that the lower tail keeps its relative
/// accuracy; 0 and 1 at -inf and +inf.
double normal_cdf(double x);

/// The expectations of one inference under a TokenCostModel.
struct TokenCostExpectations {
  /// E[c_in L_in], USD.
  double input_cost = 0.0;
  /// E[c], USD.
  double cost = 0.0;
  /// E[t], seconds.
  double latency = 0.0;
};

/// The token-length model of one inference's cost and latency (see the file comment).
class TokenCostModel {
 public:
  /// Output tokens are capped at this multiple of the input tokens, and input tokens at this
  /// multiple of their mean (the paper's clip bounds).
  static constexpr double kCapRatio = 16.0;

  /// Reads c_in, c_out, t_in, t_out, mu_Lin, sigma_Lin, mu_Lout and sigma_Lout (validated by
  /// the schema kTokenCostParams) and computes the expectations. Throws kcube::Error when the
  /// largest possible cost or latency of one inference (L_in = 16 mu_Lin, L_out = 256 mu_Lin)
  /// overflows a double, asking for smaller values.
  explicit TokenCostModel(const Params& params);

  /// Draws the normals z1 and z2, in this order, from `stream` and sets `outcome`'s cost,
  /// latency and input_cost (nothing else). Token counts stay real-valued.
  void draw(RandomStream& stream, InferenceOutcome& outcome) const {
    const double z1 = stream.normal();
    const double z2 = stream.normal();
    fill(z1, z2, outcome);
  }
  /// The outcome's cost, latency and input_cost from the normals z1 and z2 (draw() without the
  /// stream: for a profile that draws more per inference first).
  void fill(double z1, double z2, InferenceOutcome& outcome) const {
    const double l_in = std::clamp(mu_in_ + sigma_in_ * z1, 1.0, kCapRatio * mu_in_);
    const double l_out = std::clamp(mu_out_ + sigma_out_ * z2, 1.0, kCapRatio * l_in);
    outcome.input_cost = c_in_ * l_in;
    outcome.cost = outcome.input_cost + c_out_ * l_out;
    outcome.latency = t_in_ * l_in + t_out_ * l_out;
  }

  /// E[input cost], E[cost] and E[latency] of one inference, computed once by the constructor:
  ///   E[c] = c_in E[L_in] + c_out E[L_out],  E[t] = t_in E[L_in] + t_out E[L_out],
  /// E[L_in] the mean of a clipped normal, E[L_out] = E[m(L_in)], m(l) = E[clip(X_out, 1, 16 l)],
  /// by quadrature over L_in to a relative 1e-14 (README of the gaussian profile).
  const TokenCostExpectations& expectations() const { return expected_; }

 private:
  double expected_input_tokens() const;
  double conditional_output_tokens(double l_in) const;
  double expected_output_tokens() const;

  double c_in_, c_out_, t_in_, t_out_;
  double mu_in_, sigma_in_, mu_out_, sigma_out_;
  TokenCostExpectations expected_;
};

/// The schema of TokenCostModel's eight parameters, for a profile's own schema
/// (join_params(kTokenCostParams, its own)): c_in, c_out, t_in, t_out (required) and mu_Lin,
/// sigma_Lin, mu_Lout, sigma_Lout (the paper's defaults 1024, 64, 2048, 128).
inline constexpr std::array<ParamSpec, 8> kTokenCostParams = {{
    {.key = "c_in",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "USD/token",
     .doc = "price of one input token",
     .max_exclusive = true},
    {.key = "c_out",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "USD/token",
     .doc = "price of one output token",
     .max_exclusive = true},
    {.key = "t_in",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "s/token",
     .doc = "time to process one input token",
     .max_exclusive = true},
    {.key = "t_out",
     .type = ParamType::real,
     .required = true,
     .min = 0,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "s/token",
     .doc = "time to generate one output token",
     .max_exclusive = true},
    {.key = "mu_Lin",
     .type = ParamType::real,
     .default_value = "1024",
     .min = 1,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "tokens",
     .doc = "mean input length before clipping to [1, 16 mu_Lin] (paper: 1024)",
     .max_exclusive = true},
    {.key = "sigma_Lin",
     .type = ParamType::real,
     .default_value = "64",
     .min = 0,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "tokens",
     .doc = "standard deviation of the input length before clipping (paper: 64)",
     .max_exclusive = true},
    {.key = "mu_Lout",
     .type = ParamType::real,
     .default_value = "2048",
     .min = 1,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "tokens",
     .doc = "mean output length before clipping to [1, 16 L_in] (paper: 2048)",
     .max_exclusive = true},
    {.key = "sigma_Lout",
     .type = ParamType::real,
     .default_value = "128",
     .min = 0,
     .max = std::numeric_limits<double>::infinity(),
     .unit = "tokens",
     .doc = "standard deviation of the output length before clipping (paper: 128)",
     .max_exclusive = true},
}};

/// The schema `first` followed by `second`, at compile time: a plugin's schema made of shared
/// parts, e.g. `constexpr auto kParams = join_params(kTokenCostParams, kOwnParams);`.
template <std::size_t N, std::size_t M>
constexpr std::array<ParamSpec, N + M> join_params(const std::array<ParamSpec, N>& first,
                                                   const std::array<ParamSpec, M>& second) {
  std::array<ParamSpec, N + M> joined{};
  std::copy(first.begin(), first.end(), joined.begin());
  std::copy(second.begin(), second.end(), joined.begin() + static_cast<std::ptrdiff_t>(N));
  return joined;
}

}  // namespace kcube
