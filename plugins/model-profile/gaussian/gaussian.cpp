// Model-profile plugin `gaussian`: the per-inference model of arXiv 2510.18905. Token counts and
// accuracy are clipped normals; cost and latency are linear in the token counts. See README.md.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "kcube/kcube.hpp"
#include "kcube/token_cost.hpp"

namespace {

using kcube::ParamSpec;
using kcube::ParamType;

/// Clipped-normal token counts and accuracy, linear cost and latency (see README.md).
class GaussianProfile final : public kcube::ModelProfile {
 public:
  /// Reads the validated parameters; the token model precomputes the exact expectations.
  explicit GaussianProfile(const kcube::Params& params)
      : tokens_(params),
        acc_mean_(kcube::get_real(params, "acc_mean")),
        acc_std_(kcube::get_real(params, "acc_std")) {
    display_name_ = kcube::has_param(params, "display_name")
                        ? kcube::get_string(params, "display_name")
                        : std::string();
    if (display_name_.empty()) {
      display_name_ = "gaussian(acc_mean=" + kcube::format_number(acc_mean_) +
                      ", acc_std=" + kcube::format_number(acc_std_) + ")";
    }
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
    for (kcube::InferenceOutcome& outcome : path) {
      tokens_.draw(stream, outcome);  // z1, z2
      const double z3 = stream.normal();
      outcome.accuracy = std::clamp(acc_mean_ + acc_std_ * z3, 0.0, 1.0);
    }
  }

  /// Every outcome's input_cost is c_in L_in.
  kcube::SampleFields provides() const override { return {.input_cost = true}; }

  bool has_exact() const override { return true; }
  double expected_cost() const override { return tokens_.expectations().cost; }
  /// E[c_in L_in] = c_in E[L_in].
  double expected_input_cost() const override { return tokens_.expectations().input_cost; }
  double expected_latency() const override { return tokens_.expectations().latency; }

  /// F(y) = Phi((y - acc_mean) / acc_std) on [0, 1) (F(0) is the atom of the clip at 0), 0 below,
  /// 1 from 1 on (the atom at 1); with acc_std = 0 a step at clip(acc_mean, 0, 1).
  double accuracy_cdf(double y) const override {
    if (y < 0.0)
      return 0.0;
    if (y >= 1.0)
      return 1.0;
    if (acc_std_ == 0.0)
      return y >= std::clamp(acc_mean_, 0.0, 1.0) ? 1.0 : 0.0;
    return kcube::normal_cdf((y - acc_mean_) / acc_std_);
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
  kcube::TokenCostModel tokens_;
  double acc_mean_, acc_std_;
  std::string display_name_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The token model's eight parameters, then the accuracy's.
constexpr auto kParams = kcube::join_params(
    kcube::kTokenCostParams,
    std::array<ParamSpec, 3>{{
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
    }});

}  // namespace

extern const kcube::PluginDescriptor kcube_gaussian_descriptor;
const kcube::PluginDescriptor kcube_gaussian_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::model_profile,
    .name = "gaussian",
    .version = "1.1.0",
    .summary =
        "the paper's model: clipped-normal token counts and accuracy, linear cost and latency",
    .params = kParams.data(),
    .param_count = kParams.size(),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<GaussianProfile>,
};
KCUBE_EXPORT_PLUGIN(kcube_gaussian_descriptor)
