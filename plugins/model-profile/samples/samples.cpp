// Model-profile plugin `samples`: a sample log (n logged samples per question of one model on one
// benchmark) as a profile. A request draws one question uniformly, then its samples in a uniformly
// random order without replacement. See README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kcube/kcube.hpp"

namespace {

using kcube::ParamSpec;
using kcube::ParamType;

/// The value of an optional real parameter, or nothing when the user did not give it.
std::optional<double> optional_real(const kcube::Params& params, const char* key) {
  if (!kcube::has_param(params, key))
    return std::nullopt;
  return kcube::get_real(params, key);
}

/// How the `format` parameter reads: auto, csv or jsonl.
kcube::SampleLogOptions::Format format_of(const std::string& name) {
  if (name == "csv")
    return kcube::SampleLogOptions::Format::csv;
  if (name == "jsonl")
    return kcube::SampleLogOptions::Format::jsonl;
  return kcube::SampleLogOptions::Format::automatic;
}

/// The options read_sample_log gets from the validated parameters. Cost and latency are not
/// required: a log without them costs 0 and takes 0 s (with a note, see SamplesProfile).
kcube::SampleLogOptions log_options(const kcube::Params& params) {
  kcube::SampleLogOptions options;
  options.format = format_of(kcube::get_string(params, "format"));
  options.c_in = optional_real(params, "c_in");
  options.c_out = optional_real(params, "c_out");
  options.t_in = optional_real(params, "t_in");
  options.t_out = optional_real(params, "t_out");
  options.require_cost = false;
  options.require_latency = false;
  return options;
}

/// One logged sample as an outcome: accuracy 1 or 0 from `correct`, cost = input + output part.
kcube::InferenceOutcome outcome_of(const kcube::LoggedSample& sample) {
  kcube::InferenceOutcome outcome;
  outcome.input_cost = sample.input_cost;
  outcome.cost = sample.input_cost + sample.output_cost;
  outcome.latency = sample.latency;
  outcome.accuracy = sample.correct ? 1.0 : 0.0;
  outcome.score = sample.score;
  outcome.answer = sample.answer;
  return outcome;
}

/// A uniform index in [0, count), count >= 1, from one uniform of `stream`. The product can round
/// up to `count` for a uniform next to 1: clamp.
std::size_t uniform_index(kcube::RandomStream& stream, std::size_t count) {
  const auto index = static_cast<std::size_t>(stream.uniform() * static_cast<double>(count));
  return std::min(index, count - 1);
}

/// A sample log as a profile (see README.md).
class SamplesProfile final : public kcube::ModelProfile {
 public:
  /// Reads the log named by the validated parameters; read_sample_log's kcube::Error (every
  /// problem of the log with its file:line) reaches the user unchanged.
  explicit SamplesProfile(const kcube::Params& params)
      : drop_short_(kcube::get_string(params, "short_questions") == "drop") {
    const std::filesystem::path file = kcube::get_string(params, "path");
    kcube::SampleLog log = kcube::read_sample_log(file, log_options(params));
    display_name_ = kcube::has_param(params, "display_name")
                        ? kcube::get_string(params, "display_name")
                        : std::string();
    if (display_name_.empty())
      display_name_ = file.stem().string();
    // The input's share of each cost is known when the cost comes from tokens and prices; a
    // log without cost costs 0, whose input share (0) is known too.
    provides_ = {.answers = log.has_answers,
                 .scores = log.has_scores,
                 .input_cost = log.has_cost_split || !log.has_cost};

    questions_.reserve(log.questions.size());
    for (kcube::LoggedQuestion& question : log.questions) {
      kcube::QuestionSamples& q = questions_.emplace_back();
      q.id = std::move(question.id);
      q.samples.reserve(question.samples.size());
      for (const kcube::LoggedSample& sample : question.samples)
        q.samples.push_back(outcome_of(sample));
    }
    index_by_size();

    notes_ = std::move(log.notes);
    if (!log.has_cost) {
      notes_.push_back(file.string() +
                       ": the log has no cost column and no input_tokens/output_tokens with c_in "
                       "and c_out: every sample costs 0 USD; give c_in and c_out (USD per token) "
                       "for a log with tokens, or add a cost column (USD per sample)");
    }
    if (!log.has_latency) {
      notes_.push_back(file.string() +
                       ": the log has no latency column and no input_tokens/output_tokens with "
                       "t_in and t_out: every sample takes 0 s; give t_in and t_out (seconds per "
                       "token) for a log with tokens, or add a latency column (seconds per "
                       "sample)");
    }
  }

  std::string display_name() const override { return display_name_; }

  kcube::SampleFields provides() const override { return provides_; }

  kcube::QuestionLog question_log() const override {
    return {.questions = questions_, .drop_short = drop_short_, .notes = notes_};
  }

  /// One uniform picks the question among the Q_m questions with at least m = path.size()
  /// samples (they are the last Q_m of by_size_); then position i = 0..m-1 takes one uniform and
  /// swaps a uniformly chosen one of the n - i samples not yet drawn into place (partial
  /// Fisher-Yates), so path[i] depends only on the first i + 2 uniforms: a path of j < m shares
  /// its first j outcomes whenever both lengths draw from the same questions (every question has
  /// at least m samples). The permutation is scratch memory of this call: draw_path runs on
  /// several threads at once.
  void draw_path(kcube::RandomStream& stream,
                 std::span<kcube::InferenceOutcome> path) const override {
    if (path.empty())
      return;
    const auto first = static_cast<std::size_t>(
        std::lower_bound(sizes_.begin(), sizes_.end(), path.size()) - sizes_.begin());
    if (first == sizes_.size()) {
      throw kcube::Error(
          display_name_ + ": no question of the log has " + std::to_string(path.size()) +
          " samples (a request of that many); the most any has is " +
          std::to_string(sizes_.empty() ? 0 : sizes_.back()) + "; draw at most that many");
    }
    const std::vector<kcube::InferenceOutcome>& samples =
        questions_[by_size_[first + uniform_index(stream, sizes_.size() - first)]].samples;
    std::vector<std::uint32_t> order(samples.size());
    std::iota(order.begin(), order.end(), std::uint32_t{0});
    for (std::size_t i = 0; i < path.size(); ++i) {
      std::swap(order[i], order[i + uniform_index(stream, order.size() - i)]);
      path[i] = samples[order[i]];
    }
  }

 private:
  /// Fills by_size_ with the question indices ordered by sample count (log order among equal
  /// counts) and sizes_ with their counts, so the questions with at least m samples are a suffix
  /// found in O(log Q).
  void index_by_size() {
    by_size_.resize(questions_.size());
    std::iota(by_size_.begin(), by_size_.end(), std::size_t{0});
    std::stable_sort(by_size_.begin(), by_size_.end(), [&](std::size_t a, std::size_t b) {
      return questions_[a].samples.size() < questions_[b].samples.size();
    });
    sizes_.reserve(by_size_.size());
    for (const std::size_t q : by_size_)
      sizes_.push_back(questions_[q].samples.size());
  }

  bool drop_short_;
  std::string display_name_;
  kcube::SampleFields provides_;
  std::vector<kcube::QuestionSamples> questions_;
  std::vector<std::string> notes_;
  std::vector<std::size_t> by_size_;
  std::vector<std::size_t> sizes_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr ParamSpec kParams[] = {
    {.key = "path",
     .type = ParamType::path,
     .required = true,
     .doc = "the sample log: CSV with a header or JSON Lines, one row per sample (relative to the "
            "manifest's folder, or to the working folder on the command line)"},
    {.key = "format",
     .type = ParamType::enumeration,
     .default_value = "auto",
     .choices = "auto|csv|jsonl",
     .doc = "the log's format; auto: by the file's extension, else by its first character"},
    {.key = "c_in",
     .type = ParamType::real,
     .min = 0,
     .max = kInf,
     .unit = "USD/token",
     .doc = "price of one input token, for a log with tokens and no cost column (with c_out)",
     .max_exclusive = true},
    {.key = "c_out",
     .type = ParamType::real,
     .min = 0,
     .max = kInf,
     .unit = "USD/token",
     .doc = "price of one output token, for a log with tokens and no cost column (with c_in)",
     .max_exclusive = true},
    {.key = "t_in",
     .type = ParamType::real,
     .min = 0,
     .max = kInf,
     .unit = "s/token",
     .doc = "time per input token, for a log with tokens and no latency column (with t_out)",
     .max_exclusive = true},
    {.key = "t_out",
     .type = ParamType::real,
     .min = 0,
     .max = kInf,
     .unit = "s/token",
     .doc = "time per output token, for a log with tokens and no latency column (with t_in)",
     .max_exclusive = true},
    {.key = "short_questions",
     .type = ParamType::enumeration,
     .default_value = "error",
     .choices = "error|drop",
     .doc = "questions with fewer samples than the largest k: an error, or left out of the run"},
    {.key = "display_name",
     .type = ParamType::string,
     .doc = "name shown in reports (default: the log's file name without extension)"},
};

}  // namespace

extern const kcube::PluginDescriptor kcube_samples_descriptor;
const kcube::PluginDescriptor kcube_samples_descriptor{
    .abi_version = kcube::kAbiVersion,
    .kind = kcube::PluginKind::model_profile,
    .name = "samples",
    .version = "1.1.0",
    .summary =
        "a sample log as a profile: a uniformly drawn question, its logged samples in a "
        "random order without replacement",
    .params = kParams,
    .param_count = std::size(kParams),
    .thread_safety = kcube::ThreadSafety::shared,
    .create = &kcube::construct<SamplesProfile>,
};
KCUBE_EXPORT_PLUGIN(kcube_samples_descriptor)
