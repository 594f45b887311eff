// kcube fit LOG [-o PROFILE.yaml] [--predict K1,K2,...] [--json] [--first M] [--bootstrap B]
//           [--seed S] [--c-in X --c-out Y] [--t-in X --t-out Y] [--name NAME]
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "fit/fit_log.hpp"
#include "fit/snippet.hpp"
#include "kcube/error.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;

namespace {

using fit::CandidateFit;
using fit::FitReport;

// --predict K1,K2,...: whole numbers >= 1.
std::vector<int> parse_predict(const std::string& list) {
  std::vector<int> ks;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string item(text::trim(std::string_view(list).substr(start, comma - start)));
    std::size_t used = 0;
    long value = 0;
    try {
      value = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 1 || value > 1000000) {
      throw Error(
          "kcube fit: --predict must be whole numbers from 1 to 1000000 separated by "
          "commas, e.g. --predict 20,50,100; '" +
          text::printable(item) + "' in '" + text::printable(list) + "' is not one");
    }
    ks.push_back(static_cast<int>(value));
    start = comma + 1;
  }
  return ks;
}

// A price or time per token: finite and >= 0, and given with its partner.
std::optional<double> per_token(const po::variables_map& vm, const std::string& name,
                                const std::string& partner) {
  if (vm.count(name) == 0) {
    if (vm.count(partner) != 0) {
      throw Error("kcube fit: --" + partner + " needs --" + name +
                  " (input and output go together); give both or neither");
    }
    return std::nullopt;
  }
  const double value = vm[name].as<double>();
  if (!std::isfinite(value) || value < 0.0) {
    throw Error("kcube fit: --" + name + " must be a finite number >= 0 (per token), got " +
                text::format_real(value));
  }
  if (vm.count(partner) == 0) {
    throw Error("kcube fit: --" + name + " needs --" + partner +
                " (input and output go together); give both or neither");
  }
  return value;
}

std::string se_text(const std::optional<double>& se) {
  return se ? text::format_fixed(*se, 3) : "-";
}

std::string maybe(const std::optional<double>& x, int digits = 4) {
  return x ? text::format_fixed(*x, digits) : "-";
}

std::string interval(const std::optional<double>& lo, const std::optional<double>& hi) {
  return lo && hi ? "[" + text::format_fixed(*lo, 4) + ", " + text::format_fixed(*hi, 4) + "]"
                  : "-";
}

// The rows of the text table: every k up to 12, else k = 1, 2, 3, 5, 10, 20, 50, 100, ... and
// the last.
std::vector<std::size_t> shown_rows(std::size_t n) {
  std::vector<std::size_t> rows;
  for (std::size_t k = 1; k <= n; ++k) {
    bool show = n <= 12 || k <= 3 || k == n;
    for (std::size_t decade = 1; decade <= k && !show; decade *= 10)
      show = k == decade || k == 2 * decade || k == 5 * decade;
    if (show)
      rows.push_back(k - 1);
  }
  return rows;
}

void print_text(const std::string& source, const FitReport& r, const fit::FitOptions& options) {
  const CandidateFit& chosen = r.chosen_fit();
  std::cout << "Log " << text::printable(source) << ": " << r.questions << " questions, "
            << r.samples_min;
  if (r.samples_max != r.samples_min)
    std::cout << " to " << r.samples_max;
  std::cout << " samples each";
  if (options.first)
    std::cout << " (the first " << *options.first << " of each question)";
  std::cout << "\n\n";
  std::cout << "Distribution of p: " << fit::to_string(chosen.kind) << " (best AIC)\n";
  Table params({"parameter", "estimate", "standard error"});
  for (const auto& p : chosen.parameters)
    params.add({p.name, text::format_fixed(p.value, 5), se_text(p.standard_error)});
  params.print(std::cout, "  ");
  if (!chosen.standard_error_note.empty())
    std::cout << "  (" << chosen.standard_error_note << ")\n";
  std::cout << "\nCandidates (AIC = 2 parameters - 2 log-likelihood; smaller is better):\n";
  Table candidates({"model", "log-likelihood", "AIC", "AIC - best", "parameters"});
  for (const auto& c : r.candidates) {
    std::string values;
    for (const auto& p : c.parameters)
      values += (values.empty() ? "" : ", ") + p.name + " " + text::format_fixed(p.value, 4);
    candidates.add({std::string(fit::to_string(c.kind)), text::format_fixed(c.log_likelihood, 8),
                    text::format_fixed(c.aic, 8), text::format_fixed(c.aic - chosen.aic, 4),
                    values});
  }
  candidates.print(std::cout, "  ");
  if (r.wrong_answers) {
    const auto& w = *r.wrong_answers;
    std::cout << "\nWrong answers: wrong_answers " << w.wrong.count << ", wrong_skew "
              << text::format_fixed(w.wrong.skew, 4) << " (standard error "
              << se_text(w.skew_standard_error) << "), from " << w.wrong_samples
              << " wrong samples with an answer in " << w.questions << " questions\n";
  }
  if (r.tokens) {
    std::cout << "Tokens per sample: input " << text::format_fixed(r.tokens->mean_input, 5)
              << " (SD " << text::format_fixed(r.tokens->sd_input, 4) << "), output "
              << text::format_fixed(r.tokens->mean_output, 5) << " (SD "
              << text::format_fixed(r.tokens->sd_output, 4) << ")\n";
  }
  if (r.scores) {
    std::cout << "Scores (over the pooled SD " << text::format_fixed(r.scores->pooled_sd, 4)
              << "): score_correct " << text::format_fixed(r.scores->score_correct, 4)
              << ", score_wrong " << text::format_fixed(r.scores->score_wrong, 4) << "\n";
  }
  std::cout << "\nObserved (unbiased, from the log) against fitted, k = 1.." << r.samples_min
            << ":\n";
  Table curve({"k", "pass@k observed", "fitted", "majority observed", "fitted"});
  for (std::size_t i : shown_rows(r.curve.size())) {
    const auto& p = r.curve[i];
    curve.add({std::to_string(p.k), text::format_fixed(p.observed_pass, 4),
               text::format_fixed(p.fitted_pass, 4), maybe(p.observed_majority),
               maybe(p.fitted_majority)});
  }
  curve.print(std::cout, "  ");
  std::cout << "  largest difference: pass@k " << text::format_fixed(r.pass_max_difference, 3)
            << ", majority vote " << maybe(r.majority_max_difference, 3) << "\n";
  if (!r.predictions.empty()) {
    if (r.bootstrap > 0) {
      std::cout << "\nPredictions (95 % intervals from " << r.bootstrap
                << " parametric-bootstrap resamples of the questions, seed " << r.seed << "):\n";
    } else {
      std::cout << "\nPredictions (no intervals: --bootstrap 0):\n";
    }
    Table pred({"k", "pass@k", "interval", "majority vote", "interval"});
    for (const auto& p : r.predictions) {
      pred.add({std::to_string(p.k), text::format_fixed(p.pass, 4), interval(p.pass_lo, p.pass_hi),
                maybe(p.majority), interval(p.majority_lo, p.majority_hi)});
    }
    pred.print(std::cout, "  ");
  }
  for (const auto& w : r.warnings)
    std::cout << "\nwarning: " << text::printable(w) << "\n";
}

void write_parameters(json::Writer& w, const CandidateFit& c) {
  w.begin_object(json::Layout::spaced);
  w.key("kind").string(fit::to_string(c.kind)).key("parameters").begin_object(json::Layout::spaced);
  for (const auto& p : c.parameters) {
    w.key(p.name).begin_object().key("value").real(p.value);
    w.key("standard_error").real(p.standard_error).end_object();
  }
  w.end_object().key("log_likelihood").real(c.log_likelihood).key("aic").real(c.aic);
  w.key("standard_error_note").string_or_null(c.standard_error_note);
  w.key("converged").boolean(c.converged).end_object();
}

void print_json(const std::string& source, const FitReport& r, const fit::FitOptions& options) {
  json::Writer w(std::cout);
  w.begin_object(json::Layout::lines).key("log").string(source);
  w.key("questions").integer(r.questions).key("samples_min").integer(r.samples_min);
  w.key("samples_max").integer(r.samples_max).key("first").integer(options.first);
  w.key("model");
  write_parameters(w, r.chosen_fit());
  w.key("candidates").begin_array(json::Layout::lines);
  for (const auto& c : r.candidates)
    write_parameters(w, c);
  w.end_array().key("wrong_answers");
  if (r.wrong_answers) {
    const auto& a = *r.wrong_answers;
    w.begin_object(json::Layout::spaced).key("wrong_answers").integer(a.wrong.count);
    w.key("wrong_skew")
        .real(a.wrong.skew)
        .key("wrong_skew_standard_error")
        .real(a.skew_standard_error);
    w.key("questions").integer(a.questions).key("wrong_samples").integer(a.wrong_samples);
    w.key("samples_without_answer").integer(r.samples_without_answer).end_object();
  } else {
    w.null();
  }
  w.key("tokens");
  if (r.tokens) {
    w.begin_object(json::Layout::spaced).key("mu_Lin").real(r.tokens->mean_input);
    w.key("sigma_Lin").real(r.tokens->sd_input).key("mu_Lout").real(r.tokens->mean_output);
    w.key("sigma_Lout").real(r.tokens->sd_output).end_object();
  } else {
    w.null();
  }
  w.key("scores");
  if (r.scores) {
    w.begin_object(json::Layout::spaced).key("score_correct").real(r.scores->score_correct);
    w.key("score_wrong").real(r.scores->score_wrong).key("pooled_sd").real(r.scores->pooled_sd);
    w.end_object();
  } else {
    w.null();
  }
  w.key("curve").begin_array(json::Layout::lines);
  for (const auto& p : r.curve) {
    w.begin_object(json::Layout::spaced).key("k").integer(p.k);
    w.key("pass_observed").real(p.observed_pass).key("pass_fitted").real(p.fitted_pass);
    w.key("majority_observed").real(p.observed_majority);
    w.key("majority_fitted").real(p.fitted_majority).end_object();
  }
  w.end_array().key("pass_max_difference").real(r.pass_max_difference);
  w.key("majority_max_difference").real(r.majority_max_difference).key("majority_peak");
  if (r.majority_peak) {
    const auto& p = *r.majority_peak;
    w.begin_object(json::Layout::spaced).key("k").integer(p.k).key("value").real(p.value);
    w.key("last_k").integer(p.last_k).key("last_value").real(p.last_value).end_object();
  } else {
    w.null();
  }
  w.key("predictions").begin_array(json::Layout::lines);
  for (const auto& p : r.predictions) {
    w.begin_object(json::Layout::spaced).key("k").integer(p.k).key("pass").real(p.pass);
    w.key("pass_lo").real(p.pass_lo).key("pass_hi").real(p.pass_hi);
    w.key("majority").real(p.majority).key("majority_lo").real(p.majority_lo);
    w.key("majority_hi").real(p.majority_hi).end_object();
  }
  w.end_array().key("bootstrap").integer(r.bootstrap).key("seed").integer(r.seed);
  w.key("warnings").begin_array(json::Layout::lines);
  for (const auto& s : r.warnings)
    w.string(s);
  w.end_array().key("notes").begin_array(json::Layout::lines);
  for (const auto& s : r.notes)
    w.string(s);
  w.end_array().end_object();
  std::cout << '\n';
}

}  // namespace

int cmd_fit(const Args& args, const GlobalOptions& /*global: fit loads no plugin*/) {
  po::options_description options("Options");
  options.add_options()("output,o", po::value<std::string>()->value_name("PROFILE.yaml"),
                        "write the fitted profile as a manifest snippet (profiles: entry)")(
      "predict", po::value<std::string>()->value_name("K1,K2,..."),
      "predict pass@k and majority vote at these k, with 95 % intervals")(
      "json", "print everything as one JSON object")(
      "first", po::value<int>()->value_name("M"),
      "fit on each question's first M samples only (at most the smallest count)")(
      "bootstrap", po::value<int>()->default_value(200)->value_name("B"),
      "parametric-bootstrap resamples for the predictions' intervals (0: none)")(
      "seed", po::value<std::uint64_t>()->default_value(42)->value_name("S"),
      "root seed of the resamples")("c-in", po::value<double>()->value_name("X"),
                                    "USD per input token, for the snippet (with --c-out)")(
      "c-out", po::value<double>()->value_name("Y"), "USD per output token (with --c-in)")(
      "t-in", po::value<double>()->value_name("X"),
      "seconds per input token, for the snippet (with --t-out)")(
      "t-out", po::value<double>()->value_name("Y"), "seconds per output token (with --t-in)")(
      "name", po::value<std::string>()->value_name("NAME"),
      "the profile's key in the snippet (default: from the log's file name)")("help,h",
                                                                              "show this help");
  const auto vm = parse_positional(args, options, {"log"}, "fit");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube fit LOG [-o PROFILE.yaml] [--predict K1,K2,...] [--json] [--first M] "
        "[--bootstrap B] [--seed S] [--c-in X --c-out Y] [--t-in X --t-out Y] [--name NAME]\n\n"
        "Fits the difficulty model (a question's success probability p from beta, beta with a\n"
        "share p_zero never solved, or two-point; chosen by AIC) to a sample log by maximum\n"
        "likelihood on each question's counts, with the wrong answers' spread, token lengths\n"
        "and scores; prints the observed against the fitted pass@k and majority vote, and\n"
        "predictions at larger k. Notes go to standard error.",
        options);
    return 0;
  }
  if (vm.count("log") == 0)
    throw Error("kcube fit: no sample log; e.g. kcube fit experiments/data/game24-cot-gpt4.csv");
  fit::FitOptions fit_options;
  if (vm.count("first") != 0) {
    fit_options.first = vm["first"].as<int>();
    if (*fit_options.first < 1) {
      throw Error("kcube fit: --first must be at least 1 (samples per question), got " +
                  std::to_string(*fit_options.first));
    }
  }
  if (vm.count("predict") != 0)
    fit_options.predict = parse_predict(vm["predict"].as<std::string>());
  fit_options.bootstrap = vm["bootstrap"].as<int>();
  if (fit_options.bootstrap < 0) {
    throw Error(
        "kcube fit: --bootstrap must be 0 (no intervals) or a number of resamples, e.g. "
        "200; got " +
        std::to_string(fit_options.bootstrap));
  }
  fit_options.seed = vm["seed"].as<std::uint64_t>();
  fit::SnippetOptions snippet;
  snippet.c_in = per_token(vm, "c-in", "c-out");
  snippet.c_out = per_token(vm, "c-out", "c-in");
  snippet.t_in = per_token(vm, "t-in", "t-out");
  snippet.t_out = per_token(vm, "t-out", "t-in");

  const std::string source = vm["log"].as<std::string>();
  const std::filesystem::path path(source);
  snippet.name = fit::profile_key(path.stem().string());
  if (vm.count("name") != 0) {
    snippet.name = vm["name"].as<std::string>();
    if (fit::profile_key(snippet.name) != snippet.name) {
      throw Error("kcube fit: --name '" + text::printable(snippet.name) +
                  "' is not a profile name; use lower-case letters, digits and '-', e.g. " +
                  fit::profile_key(snippet.name));
    }
  }
  snippet.display_name = "difficulty model of " + path.filename().string();
  snippet.source = path.filename().string();
  if (fit_options.first)
    snippet.source += " (first " + std::to_string(*fit_options.first) + " samples)";
  const fit::FitInput input = fit::read_log_for_fit(source);
  FitReport report;
  try {
    report = fit::fit_log(input, fit_options);
  } catch (const Error& e) {
    throw Error("kcube fit: " + source + ": " + e.what());
  }
  for (const auto& note : input.log.notes)
    std::cerr << "kcube fit: note: " << text::printable(note) << "\n";
  for (const auto& note : report.notes)
    std::cerr << "kcube fit: note: " << text::printable(note) << "\n";

  if (vm.count("output") != 0) {
    OutputFile out(vm["output"].as<std::string>(), "kcube fit");
    fit::write_profile_snippet(out.stream(), report, snippet);
    out.close();
  }
  if (vm.count("json") != 0)
    print_json(source, report, fit_options);
  else
    print_text(source, report, fit_options);
  return 0;
}

}  // namespace kcube::cli
