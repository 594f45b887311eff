// Private: the manifest snippet `kcube fit -o` writes: one `profiles:` entry of the `difficulty`
// model profile with the fitted parameters, ready to paste into (or merge with) a manifest.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "fit/fit_log.hpp"

namespace kcube::fit {

/// What the snippet needs beyond the fit.
struct SnippetOptions {
  /// The profile's key under `profiles:` and its display_name.
  std::string name = "fitted";
  std::string display_name;
  /// The log the fit came from and the options it was fitted with (for the header comment).
  std::string source;
  /// Prices (USD per token) and times (s per token); a missing one is written as a comment
  /// saying what to fill in, never as an invented number.
  std::optional<double> c_in, c_out, t_in, t_out;
};

/// Writes the snippet: the chosen distribution's parameters, wrong_answers/wrong_skew when the
/// log has answers, score_correct/score_wrong when it has scores, token means and spreads when it
/// has tokens, then prices and times.
void write_profile_snippet(std::ostream& out, const FitReport& report,
                           const SnippetOptions& options);

/// `stem` as a profile key: lower-case letters, digits and '-' ("game24-cot-gpt4"); "fitted" when
/// nothing is left.
std::string profile_key(const std::string& stem);

}  // namespace kcube::fit
