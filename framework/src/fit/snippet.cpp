#include "fit/snippet.hpp"

#include <cctype>

#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube::fit {

namespace {

// "      name: value", the params' indentation.
void param(std::ostream& out, const std::string& name, const std::string& value,
           const std::string& comment = "") {
  out << "      " << name << ": " << value;
  if (!comment.empty())
    out << "  # " << comment;
  out << '\n';
}

void real_param(std::ostream& out, const std::string& name, double value,
                const std::string& comment = "") {
  param(out, name, text::format_real(value), comment);
}

// A value the log cannot give: a commented-out line saying what to fill in.
void missing_param(std::ostream& out, const std::string& name, const std::string& what) {
  out << "      # " << name << ": fill in " << what << '\n';
}

std::string with_se(const ParameterEstimate& p) {
  return p.standard_error ? "standard error " + text::format_fixed(*p.standard_error, 3)
                          : "no standard error";
}

}  // namespace

std::string profile_key(const std::string& stem) {
  std::string key;
  for (char c : stem) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0)
      key += static_cast<char>(std::tolower(u));
    else if (!key.empty() && key.back() != '-')
      key += '-';
  }
  while (!key.empty() && key.back() == '-')
    key.pop_back();
  return key.empty() ? "fitted" : key;
}

void write_profile_snippet(std::ostream& out, const FitReport& report,
                           const SnippetOptions& options) {
  const CandidateFit& fit = report.chosen_fit();
  out << "# The difficulty model fitted by `kcube fit` to " << options.source << " ("
      << report.questions << " questions, " << report.samples_min;
  if (report.samples_max != report.samples_min)
    out << " to " << report.samples_max;
  out << " samples each): " << to_string(fit.kind) << " chosen by AIC, log-likelihood "
      << text::format_fixed(fit.log_likelihood, 8) << ".\n";
  out << "profiles:\n  " << options.name << ":\n    plugin: difficulty\n    params:\n";
  if (fit.kind == ModelKind::two_point) {
    param(out, "p_distribution", "two-point");
  } else {
    param(out, "p_distribution", "beta");
  }
  for (const ParameterEstimate& p : fit.parameters)
    real_param(out, p.name, p.value, with_se(p));
  if (fit.kind == ModelKind::beta)
    real_param(out, "p_zero", 0.0, "the beta model without p_zero had the best AIC");
  if (report.wrong_answers) {
    const WrongAnswerFit& w = *report.wrong_answers;
    param(out, "wrong_answers", std::to_string(w.wrong.count),
          "the most distinct wrong answers of one question");
    real_param(out, "wrong_skew", w.wrong.skew,
               w.skew_standard_error
                   ? "standard error " + text::format_fixed(*w.skew_standard_error, 3)
                   : "no standard error");
  }
  if (report.scores) {
    real_param(out, "score_correct", report.scores->score_correct,
               "class means over the pooled SD " + text::format_fixed(report.scores->pooled_sd, 4));
    real_param(out, "score_wrong", report.scores->score_wrong);
  }
  if (report.tokens) {
    real_param(out, "mu_Lin", report.tokens->mean_input, "tokens per sample, from the log");
    real_param(out, "sigma_Lin", report.tokens->sd_input);
    real_param(out, "mu_Lout", report.tokens->mean_output);
    real_param(out, "sigma_Lout", report.tokens->sd_output);
  } else {
    missing_param(out, "mu_Lin", "the mean input tokens per sample (the log has no tokens)");
    missing_param(out, "sigma_Lin", "their standard deviation");
    missing_param(out, "mu_Lout", "the mean output tokens per sample");
    missing_param(out, "sigma_Lout", "their standard deviation");
  }
  auto price = [&](const char* name, const std::optional<double>& value, const char* what) {
    if (value)
      real_param(out, name, *value);
    else
      missing_param(out, name, what);
  };
  price("c_in", options.c_in, "USD per input token (kcube fit --c-in X --c-out Y)");
  price("c_out", options.c_out, "USD per output token");
  price("t_in", options.t_in, "seconds per input token (kcube fit --t-in X --t-out Y)");
  price("t_out", options.t_out, "seconds per output token");
  param(out, "display_name", json::quote(options.display_name));
}

}  // namespace kcube::fit
