// The `samples` model profile (plugins/model-profile/samples): its parameters, what it reads from
// a log (costs from tokens and prices, notes, answers and scores), and how draw_path draws: a
// question uniformly among those long enough, then its samples in a uniformly random order without
// replacement, prefixes nested, the same on any number of threads. Every log written here is
// synthetic (files named synthetic-*); the shipped logs are in experiments/data/.
#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <omp.h>
#include <boost/math/distributions/chi_squared.hpp>

#include "host/param_validation.hpp"
#include "kcube/error.hpp"
#include "kcube/model_profile.hpp"
#include "kcube/random.hpp"
#include "message_of.hpp"
#include "samples_profile.hpp"

namespace {

using kcube::InferenceOutcome;
using kcube::RandomStream;
using kcube::test::LoadedProfile;
using kcube::test::samples_profile;
using kcube::test::WrittenLog;

/// A synthetic log with one question per entry of `sizes` ("q0", "q1", ...), that many samples
/// each, and every sample's identity in its cost: cost = 1000 question + sample. Sample s is
/// correct when s % 3 == 0, with answer "a<s % 3>" (so an answer is always right or always wrong).
std::string identified_log(const std::vector<int>& sizes) {
  std::string text = "question,sample,correct,answer,cost,latency\n";
  for (std::size_t q = 0; q < sizes.size(); ++q) {
    for (int s = 0; s < sizes[q]; ++s) {
      text += "q" + std::to_string(q) + "," + std::to_string(s) + "," + (s % 3 == 0 ? "1" : "0") +
              ",a" + std::to_string(s % 3) + "," + std::to_string(1000 * q + std::size_t(s)) +
              ",1\n";
    }
  }
  return text;
}

/// The question and sample an outcome of identified_log() came from.
struct Identity {
  int question;
  int sample;
};
Identity identity(const InferenceOutcome& outcome) {
  const auto id = static_cast<int>(outcome.cost);
  return {id / 1000, id % 1000};
}

/// A path of `m` outcomes drawn by `profile` from the stream of trial `trial`.
std::vector<InferenceOutcome> draw(const LoadedProfile& profile, std::size_t m,
                                   std::uint64_t trial) {
  std::vector<InferenceOutcome> path(m);
  RandomStream stream(20240615, 3, trial);
  profile->draw_path(stream, path);
  return path;
}

bool same(const InferenceOutcome& a, const InferenceOutcome& b) {
  return a.cost == b.cost && a.latency == b.latency && a.accuracy == b.accuracy &&
         a.input_cost == b.input_cost && a.score == b.score && a.answer == b.answer;
}

/// Pearson's statistic sum (observed - expected)^2 / expected for equal expected counts.
double chi_square(const std::vector<std::int64_t>& counts, double expected) {
  double sum = 0.0;
  for (const std::int64_t c : counts)
    sum += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
  return sum;
}

/// The chi-square statistic's 0.999 quantile with `cells` - 1 degrees of freedom: a uniform
/// draw exceeds it with probability 0.001 (the seeds are fixed, so the tests are deterministic).
double chi_square_limit(std::size_t cells) {
  return boost::math::quantile(
      boost::math::chi_squared_distribution<double>(static_cast<double>(cells - 1)), 0.999);
}

TEST_CASE("profile: the schema: path required, format and short_questions enumerations") {
  const kcube::test::ProfileLibrary library("samples");
  CHECK(library.descriptor().thread_safety == kcube::ThreadSafety::shared);
  CHECK(std::string(library.descriptor().name) == "samples");
  CHECK(kcube::check_schema(library.schema()).empty());  // what admission checks

  const kcube::ParamCheck none = library.check({});
  REQUIRE(none.problems.size() == 1);
  CHECK(none.problems[0].key == "path");

  const kcube::ParamCheck defaults = library.check({{"path", "/logs/a.csv"}});
  REQUIRE(defaults.problems.empty());
  CHECK(kcube::get_string(defaults.params, "path") == "/logs/a.csv");
  CHECK(kcube::get_string(defaults.params, "format") == "auto");
  CHECK(kcube::get_string(defaults.params, "short_questions") == "error");
  for (const char* key : {"c_in", "c_out", "t_in", "t_out", "display_name"})
    CHECK_FALSE(kcube::has_param(defaults.params, key));

  const kcube::ParamCheck wrong = library.check({{"path", "/logs/a.csv"},
                                                 {"format", "xml"},
                                                 {"short_questions", "keep"},
                                                 {"c_in", "-1"},
                                                 {"t_out", "inf"}});
  std::set<std::string> keys;
  for (const kcube::ParamProblem& problem : wrong.problems)
    keys.insert(problem.key);
  CHECK(keys == std::set<std::string>{"format", "short_questions", "c_in", "t_out"});
}

TEST_CASE("profile: reads the log at an absolute path, named by its file unless display_name") {
  const WrittenLog log("synthetic-small.csv", "question,correct\nq1,1\nq1,0\nq2,0\n");
  REQUIRE(log.path.is_absolute());
  const LoadedProfile profile = samples_profile(log.path);
  CHECK(profile->display_name() == "synthetic-small");
  CHECK_FALSE(profile->has_exact());
  const kcube::QuestionLog questions = profile->question_log();
  REQUIRE(questions.questions.size() == 2);
  CHECK(questions.questions[0].id == "q1");
  REQUIRE(questions.questions[0].samples.size() == 2);
  CHECK(questions.questions[0].samples[0].accuracy == 1.0);
  CHECK(questions.questions[0].samples[1].accuracy == 0.0);
  CHECK(questions.questions[1].id == "q2");
  CHECK(questions.questions[1].samples.size() == 1);

  CHECK(samples_profile(log.path, {{"display_name", "My model"}})->display_name() == "My model");
}

TEST_CASE("profile: format chooses the reader whatever the file's extension") {
  const WrittenLog log("synthetic.txt",
                       "{\"question\": \"a\", \"correct\": true}\n"
                       "{\"question\": \"a\", \"correct\": false}\n");
  const LoadedProfile profile = samples_profile(log.path, {{"format", "jsonl"}});
  REQUIRE(profile->question_log().questions.size() == 1);
  CHECK(profile->question_log().questions[0].samples.size() == 2);
  const std::string message = kcube::test::message_of([&] {
    samples_profile(log.path, {{"format", "csv"}});
  });
  CHECK_MESSAGE(message.find("synthetic.txt:1: ") != std::string::npos, message);
}

TEST_CASE("profile: every mistake of the log reaches the user with its file and line") {
  const WrittenLog log("synthetic-bad.csv", "question,correct\nq1,1\nq1,maybe\n,0\nq2,1\n");
  const std::string message = kcube::test::message_of([&] { samples_profile(log.path); });
  const std::string where = log.path.string();
  CHECK_MESSAGE(message.find(where + ":3: ") != std::string::npos, message);
  CHECK_MESSAGE(message.find(where + ":4: ") != std::string::npos, message);
  CHECK_MESSAGE(message.find(where + ":2: ") == std::string::npos, message);
}

TEST_CASE("profile: prices and times come in pairs") {
  const WrittenLog log("synthetic-tokens.csv",
                       "question,correct,input_tokens,output_tokens\nq1,1,10,20\n");
  const std::string prices = kcube::test::message_of([&] {
    samples_profile(log.path, {{"c_in", "0.001"}});
  });
  CHECK_MESSAGE(prices.find("c_in is given without c_out") != std::string::npos, prices);
  const std::string times = kcube::test::message_of([&] {
    samples_profile(log.path, {{"t_out", "0.1"}});
  });
  CHECK_MESSAGE(times.find("t_out is given without t_in") != std::string::npos, times);
}

TEST_CASE("profile: provides answers and scores exactly when the log has them") {
  struct Case {
    const char* text;
    bool answers;
    bool scores;
  };
  for (const Case& c : {Case{"question,correct\nq,1\nq,0\n", false, false},
                        Case{"question,correct,answer\nq,1,x\nq,0,y\n", true, false},
                        Case{"question,correct,score\nq,1,0.9\nq,0,0.2\n", false, true},
                        Case{"question,correct,answer,score\nq,1,x,0.9\nq,0,,0.2\n", true, true},
                        Case{"question,correct,answer\nq,1,\nq,0,\n", false, false}}) {
    CAPTURE(c.text);
    const WrittenLog log("synthetic.csv", c.text);
    const kcube::SampleFields fields = samples_profile(log.path)->provides();
    CHECK(fields.answers == c.answers);
    CHECK(fields.scores == c.scores);
  }
}

TEST_CASE("profile: question_log prices tokens, keeps answers and scores, and notes no cost") {
  // Samples listed out of order: the `sample` column orders them.
  const WrittenLog log("synthetic-priced.csv",
                       "question,sample,correct,answer,score,input_tokens,output_tokens\n"
                       "q1,1,0,7,0.5,100,20\n"
                       "q1,0,1,24,2.5,100,30\n"
                       "q2,0,0,,-1,50,10\n");
  SUBCASE("with prices and times") {
    const LoadedProfile profile = samples_profile(log.path, {{"c_in", "0.001"},
                                                             {"c_out", "0.002"},
                                                             {"t_in", "0.01"},
                                                             {"t_out", "0.1"},
                                                             {"short_questions", "drop"}});
    const kcube::QuestionLog q = profile->question_log();
    CHECK(q.drop_short);
    CHECK(q.notes.empty());
    REQUIRE(q.questions.size() == 2);
    REQUIRE(q.questions[0].samples.size() == 2);
    const InferenceOutcome& first = q.questions[0].samples[0];  // sample 0: "24", correct
    CHECK(first.accuracy == 1.0);
    CHECK(first.answer == 1);
    CHECK(first.score == 2.5);
    CHECK(first.input_cost == doctest::Approx(100 * 0.001).epsilon(1e-15));
    CHECK(first.cost == doctest::Approx(100 * 0.001 + 30 * 0.002).epsilon(1e-15));
    CHECK(first.latency == doctest::Approx(100 * 0.01 + 30 * 0.1).epsilon(1e-15));
    const InferenceOutcome& second = q.questions[0].samples[1];  // sample 1: "7", wrong
    CHECK(second.accuracy == 0.0);
    CHECK(second.answer == 2);
    CHECK(second.score == 0.5);
    CHECK(second.cost == doctest::Approx(100 * 0.001 + 20 * 0.002).epsilon(1e-15));
    const InferenceOutcome& none = q.questions[1].samples[0];  // no answer
    CHECK(none.answer == 0);
    CHECK(none.score == -1.0);
    CHECK(none.cost == doctest::Approx(50 * 0.001 + 10 * 0.002).epsilon(1e-15));
    CHECK(none.latency == doctest::Approx(50 * 0.01 + 10 * 0.1).epsilon(1e-15));
  }
  SUBCASE("without prices and times: zero cost and latency, each said in a note") {
    const LoadedProfile profile = samples_profile(log.path);
    const kcube::QuestionLog q = profile->question_log();
    CHECK_FALSE(q.drop_short);
    for (const kcube::QuestionSamples& question : q.questions) {
      for (const InferenceOutcome& o : question.samples) {
        CHECK(o.cost == 0.0);
        CHECK(o.input_cost == 0.0);
        CHECK(o.latency == 0.0);
      }
    }
    REQUIRE(q.notes.size() == 2);
    CHECK(q.notes[0].starts_with(log.path.string() + ": "));
    CHECK(q.notes[0].find("every sample costs 0 USD; give c_in and c_out") != std::string::npos);
    CHECK(q.notes[1].find("every sample takes 0 s; give t_in and t_out") != std::string::npos);
  }
  SUBCASE("the reader's own notes are kept") {
    const WrittenLog costed("synthetic-costed.csv",
                            "question,correct,cost,latency,model\nq,1,0.25,3,x\n");
    const LoadedProfile profile =
        samples_profile(costed.path, {{"c_in", "0.001"}, {"c_out", "0.002"}});
    const kcube::QuestionLog q = profile->question_log();
    REQUIRE(q.questions.size() == 1);
    CHECK(q.questions[0].samples[0].cost == 0.25);
    CHECK(q.questions[0].samples[0].input_cost == 0.0);  // a cost column gives the total only
    CHECK(q.questions[0].samples[0].latency == 3.0);
    REQUIRE(q.notes.size() == 2);  // the ignored column, the unused prices
    CHECK(q.notes[0].find("model") != std::string::npos);
    CHECK(q.notes[1].find("c_in and c_out are not used") != std::string::npos);
  }
}

TEST_CASE("profile: the first j outcomes of a path are the path of j from the same stream") {
  const WrittenLog log("synthetic-ids.csv", identified_log({10, 12, 15, 11}));
  const LoadedProfile profile = samples_profile(log.path);
  constexpr std::size_t kLongest = 10;  // every question has at least this many samples
  for (std::uint64_t trial = 0; trial < 300; ++trial) {
    const std::vector<InferenceOutcome> full = draw(profile, kLongest, trial);
    for (const std::size_t j : {1, 2, 3, 7, 9}) {
      const std::vector<InferenceOutcome> prefix = draw(profile, j, trial);
      for (std::size_t i = 0; i < j; ++i)
        REQUIRE(same(prefix[i], full[i]));
    }
  }
}

TEST_CASE("profile: a question is drawn uniformly among those with at least path.size() samples") {
  // Sizes 2, 3, 5, 5, 8, 8, 8, 1, 6: paths of 5 come from q2..q6 and q8 only.
  const std::vector<int> sizes{2, 3, 5, 5, 8, 8, 8, 1, 6};
  const WrittenLog log("synthetic-ids.csv", identified_log(sizes));
  const LoadedProfile profile = samples_profile(log.path);
  for (const std::size_t m : {1, 5, 8}) {
    CAPTURE(m);
    std::vector<std::size_t> eligible;
    for (std::size_t q = 0; q < sizes.size(); ++q) {
      if (static_cast<std::size_t>(sizes[q]) >= m)
        eligible.push_back(q);
    }
    constexpr std::int64_t kPerQuestion = 10000;
    const auto draws = kPerQuestion * static_cast<std::int64_t>(eligible.size());
    std::vector<std::int64_t> counts(sizes.size(), 0);
    for (std::int64_t t = 0; t < draws; ++t) {
      const std::vector<InferenceOutcome> path = draw(profile, m, static_cast<std::uint64_t>(t));
      const int q = identity(path[0]).question;
      for (const InferenceOutcome& o : path)
        REQUIRE(identity(o).question == q);  // one question per path
      ++counts[static_cast<std::size_t>(q)];
    }
    std::vector<std::int64_t> eligible_counts;
    for (std::size_t q = 0; q < sizes.size(); ++q) {
      if (static_cast<std::size_t>(sizes[q]) >= m)
        eligible_counts.push_back(counts[q]);
      else
        CHECK(counts[q] == 0);  // shorter than the path: never drawn
    }
    // A uniform choice exceeds the 0.999 quantile with probability 0.001.
    CHECK(chi_square(eligible_counts, static_cast<double>(kPerQuestion)) <
          chi_square_limit(eligible_counts.size()));
  }
}

TEST_CASE("profile: every ordered choice of a question's samples is equally likely") {
  // One question of 7 samples, paths of 4: 7 * 6 * 5 * 4 = 840 ordered choices.
  const WrittenLog log("synthetic-ids.csv", identified_log({7}));
  const LoadedProfile profile = samples_profile(log.path);
  constexpr std::size_t kN = 7, kM = 4, kChoices = 840;
  constexpr std::int64_t kPerChoice = 100;
  constexpr std::int64_t kDraws = kPerChoice * kChoices;
  std::vector<std::vector<std::int64_t>> at_position(kM, std::vector<std::int64_t>(kN, 0));
  std::vector<std::int64_t> by_choice(kN * kN * kN * kN, 0);  // indexed by the 4 samples, base 7
  for (std::int64_t t = 0; t < kDraws; ++t) {
    const std::vector<InferenceOutcome> path = draw(profile, kM, static_cast<std::uint64_t>(t));
    std::set<int> seen;
    std::size_t choice = 0;
    for (std::size_t i = 0; i < kM; ++i) {
      const int s = identity(path[i]).sample;
      REQUIRE(seen.insert(s).second);  // no sample twice in one path
      ++at_position[i][static_cast<std::size_t>(s)];
      choice = choice * kN + static_cast<std::size_t>(s);
    }
    ++by_choice[choice];
  }
  // Each position: every sample with probability 1/7; 0.999 quantile of chi-square, 6 df.
  for (std::size_t i = 0; i < kM; ++i) {
    CAPTURE(i);
    CHECK(chi_square(at_position[i], static_cast<double>(kDraws) / static_cast<double>(kN)) <
          chi_square_limit(kN));
  }
  // Every ordered choice of 4 distinct samples with probability 1/840; 839 df.
  std::vector<std::int64_t> choices;
  for (std::size_t c = 0; c < by_choice.size(); ++c) {
    const std::size_t a = c / 343, b = c / 49 % 7, d = c / 7 % 7, e = c % 7;
    if (a != b && a != d && a != e && b != d && b != e && d != e)
      choices.push_back(by_choice[c]);
  }
  REQUIRE(choices.size() == kChoices);
  CHECK(chi_square(choices, static_cast<double>(kPerChoice)) < chi_square_limit(kChoices));
}

TEST_CASE("profile: a path longer than every question is an Error naming the largest") {
  const WrittenLog log("synthetic-ids.csv", identified_log({2, 3}));
  const LoadedProfile profile = samples_profile(log.path);
  std::vector<InferenceOutcome> path(4);
  RandomStream stream(1, 2, 3);
  const std::string message = kcube::test::message_of([&] { profile->draw_path(stream, path); });
  CHECK_MESSAGE(message.find("no question of the log has 4 samples") != std::string::npos, message);
  CHECK_MESSAGE(message.find("the most any has is 3") != std::string::npos, message);
  path.resize(3);
  profile->draw_path(stream, path);
  CHECK(identity(path[0]).question == 1);
}

TEST_CASE("profile: draw_path on two OpenMP threads gives what one thread gives") {
  const LoadedProfile profile = samples_profile(kcube::test::shipped_logs() / "game24-cot-gpt4.csv",
                                                {{"c_in", "3e-5"}, {"c_out", "6e-5"}});
  constexpr std::size_t kTrials = 2000, kM = 100;
  std::vector<std::vector<InferenceOutcome>> one(kTrials), two(kTrials);
  for (std::size_t t = 0; t < kTrials; ++t)
    one[t] = draw(profile, kM, t);
  int team = 0;
#pragma omp parallel for num_threads(2) schedule(static, 1)
  for (std::size_t t = 0; t < kTrials; ++t) {
    two[t] = draw(profile, kM, t);
#pragma omp atomic write
    team = omp_get_num_threads();
  }
  CHECK(team == 2);
  for (std::size_t t = 0; t < kTrials; ++t) {
    for (std::size_t i = 0; i < kM; ++i)
      REQUIRE(same(one[t][i], two[t][i]));
  }
}

}  // namespace
