// Test data: the nine model profiles of arXiv 2510.18905, as parameters of the `gaussian`
// model-profile plugin. Shared by the profile and engine tests.
#pragma once

#include <array>

namespace kcube::test {

/// One of the paper's profiles. Token lengths are the same for all of them (see below).
struct PaperProfile {
  /// Profile name as the paper writes it.
  const char* name;
  /// Price per input token, USD.
  double c_in;
  /// Price per output token, USD.
  double c_out;
  /// Time per input token, s.
  double t_in;
  /// Time per output token, s.
  double t_out;
  /// Mean accuracy of one inference before clipping to [0, 1].
  double acc_mean;
  /// Standard deviation of one inference's accuracy before clipping.
  double acc_std;
};

/// Input and output token lengths of every paper profile (the plugin's defaults), tokens.
inline constexpr double kPaperMuLin = 1024;
inline constexpr double kPaperSigmaLin = 64;
inline constexpr double kPaperMuLout = 2048;
inline constexpr double kPaperSigmaLout = 128;

/// The paper's nine profiles.
inline constexpr std::array<PaperProfile, 9> kPaperProfiles = {{
    {"gpt5", 1.25e-6, 1.0e-5, 0.0005, 0.005, 0.94, 0.02},
    {"gpt5-mini", 2.5e-7, 2.0e-6, 0.00025, 0.002, 0.92, 0.03},
    {"gpt5-nano", 5e-8, 4e-7, 0.0001, 0.001, 0.91, 0.04},
    {"nvidia-nemotron-ultra-253b", 9e-7, 2.8e-6, 0.001, 0.01, 0.93, 0.05},
    {"nvidia-nemotron-h-47b", 4e-7, 1.5e-6, 0.0004, 0.004, 0.92, 0.06},
    {"nvidia-nemotron-nano-9b-v2", 2e-7, 1e-6, 0.00012, 0.0012, 0.91, 0.07},
    {"qwen3-max", 9e-7, 2.4e-6, 0.0008, 0.008, 0.90, 0.04},
    {"qwen3-next-80b-a3b", 5e-7, 1.25e-6, 0.0004, 0.004, 0.89, 0.05},
    {"qwen3-30b-a3b", 3.5e-7, 9e-7, 0.00025, 0.002, 0.88, 0.06},
}};

}  // namespace kcube::test
