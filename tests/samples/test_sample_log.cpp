// Reading sample logs: the shipped logs and their published numbers, CSV and JSON Lines alike,
// costs and latencies, answer ids, and where and how each mistake is reported.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "kcube/error.hpp"
#include "kcube/estimators.hpp"
#include "kcube/sample_log.hpp"
#include "message_of.hpp"
#include "temp_dir.hpp"

namespace {

using kcube::LoggedSample;
using kcube::SampleLog;
using kcube::SampleLogOptions;
namespace fs = std::filesystem;

const fs::path data_dir = fs::path(KCUBE_TEST_SOURCE_DIR) / "experiments" / "data";

SampleLogOptions no_cost() {
  SampleLogOptions options;
  options.require_cost = false;
  options.require_latency = false;
  return options;
}

// A log written to a file named `name` in a fresh folder, read with `options`.
struct Written {
  kcube::test::TempDir dir;
  fs::path path;
  Written(const std::string& name, const std::string& text) : path(dir.path() / name) {
    std::ofstream(path, std::ios::binary) << text;
  }
};

SampleLog read_text(const std::string& text, const SampleLogOptions& options = no_cost(),
                    const std::string& name = "log.csv") {
  Written file(name, text);
  return kcube::read_sample_log(file.path, options);
}

// The message of the kcube::Error that reading `text` throws, with the folder removed so that it
// starts "log.csv:<line>: ".
std::string error_of(const std::string& text, const SampleLogOptions& options = no_cost(),
                     const std::string& name = "log.csv") {
  Written file(name, text);
  std::string message =
      kcube::test::message_of([&] { kcube::read_sample_log(file.path, options); });
  const std::string folder = file.dir.path().string() + "/";
  for (std::size_t at; (at = message.find(folder)) != std::string::npos;)
    message.erase(at, folder.size());
  return message;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The mean over questions of c/n: pass@1.
double pass_at_1(const SampleLog& log) {
  double sum = 0.0;
  for (const auto& question : log.questions) {
    double correct = 0.0;
    for (const LoggedSample& sample : question.samples)
      correct += sample.correct ? 1.0 : 0.0;
    sum += correct / static_cast<double>(question.samples.size());
  }
  return sum / static_cast<double>(log.questions.size());
}

void check_shipped(const char* file, std::size_t questions, std::size_t samples, double pass1) {
  CAPTURE(file);
  const SampleLog log = kcube::read_sample_log(data_dir / file, no_cost());
  REQUIRE(log.questions.size() == questions);
  for (const auto& question : log.questions)
    REQUIRE(question.samples.size() == samples);
  // Published to 1e-4 (the data README): the unbiased pass@1 is the mean of c/n.
  CHECK(std::abs(pass_at_1(log) - pass1) < 1e-4);
  CHECK(log.has_answers);
  CHECK(!log.has_scores);
  CHECK(!log.has_cost);
  CHECK(!log.has_latency);
  CHECK(log.notes.empty());
}

}  // namespace

TEST_CASE("the four shipped logs load with their shapes and published pass@1") {
  check_shipped("game24-cot-gpt4.csv", 100, 100, 0.0403);
  check_shipped("game24-io-gpt4.csv", 100, 100, 0.0734);
  check_shipped("cruxeval-input-codellama7b.csv", 800, 10, 0.3595);
  check_shipped("cruxeval-output-codellama7b.csv", 800, 10, 0.3421);
}

TEST_CASE("a shipped log keeps its question order and numbers answers by first appearance") {
  const SampleLog log = kcube::read_sample_log(data_dir / "game24-cot-gpt4.csv", no_cost());
  REQUIRE(log.questions.front().id == "900");
  CHECK(log.questions.back().id == "999");
  // Question 900: sample 0 has no answer, samples 1..3 give three different ones.
  const auto& samples = log.questions.front().samples;
  CHECK(samples[0].answer == 0);
  CHECK(samples[1].answer == 1);
  CHECK(samples[2].answer == 2);
  CHECK(samples[3].answer == 3);
}

TEST_CASE("Game of 24 chain-of-thought costs come from its tokens and GPT-4's prices") {
  SampleLogOptions options;
  options.c_in = 3e-5;
  options.c_out = 6e-5;
  options.require_latency = false;
  const SampleLog log = kcube::read_sample_log(data_dir / "game24-cot-gpt4.csv", options);
  CHECK(log.has_cost);
  CHECK(log.has_cost_split);
  CHECK(!log.has_latency);
  const auto& question = log.questions.front();
  REQUIRE(question.id == "900");
  for (const LoggedSample& sample : question.samples) {
    CHECK(sample.input_cost == doctest::Approx(437 * 3e-5).epsilon(1e-12));
    CHECK(sample.output_cost == doctest::Approx(69.6 * 6e-5).epsilon(1e-12));
  }
  // The source logged $0.48315 for question 900 = 5 x 437 input tokens (the prompt billed once
  // per call of 20 samples) + 6960 output tokens: the output part is the samples' output costs.
  double output = 0.0;
  for (const LoggedSample& sample : question.samples)
    output += sample.output_cost;
  CHECK(output + 5 * 437 * 3e-5 == doctest::Approx(0.48315).epsilon(1e-9));
  // Question 932, corrected in the data (experiments/data/README.md), is priced like the others.
  REQUIRE(log.questions[32].id == "932");
  CHECK(log.questions[32].samples[0].input_cost == doctest::Approx(437 * 3e-5).epsilon(1e-12));
  CHECK(log.questions[32].samples[0].output_cost == doctest::Approx(68.16 * 6e-5).epsilon(1e-12));
}

TEST_CASE("the CRUXEval logs have no tokens, so no cost: an error unless cost is not needed") {
  SampleLogOptions options;
  options.c_in = 3e-5;
  options.c_out = 6e-5;
  options.require_latency = false;
  const fs::path file = data_dir / "cruxeval-input-codellama7b.csv";
  const std::string message =
      kcube::test::message_of([&] { kcube::read_sample_log(file, options); });
  CHECK(contains(message,
                 "cruxeval-input-codellama7b.csv:1: the log has no cost: no cost "
                 "column, and no input_tokens and output_tokens columns; add a cost "
                 "column"));
  options.require_cost = false;
  const SampleLog log = kcube::read_sample_log(file, options);
  CHECK(!log.has_cost);
  REQUIRE(log.notes.size() == 1);
  CHECK(contains(log.notes[0], ":1: c_in and c_out are not used: the log has no input_tokens"));
}

TEST_CASE("answer ids: equal strings share an id, empty is 0, numbered in sample order") {
  const SampleLog log = read_text(
      "question,sample,correct,answer\n"
      "a,3,0,x\n"
      "a,0,1,\n"
      "a,1,0,y\n"
      "b,0,0,y\n"
      "a,2,0,x\n"
      "a,4,0, y \n");
  REQUIRE(log.questions.size() == 2);
  const auto& a = log.questions[0].samples;
  REQUIRE(a.size() == 5);
  // Sorted by `sample`: (0, no answer), (1, y), (2, x), (3, x), (4, y).
  CHECK(a[0].answer == 0);
  CHECK(a[0].correct);
  CHECK(a[1].answer == 1);
  CHECK(a[2].answer == 2);
  CHECK(a[3].answer == 2);
  CHECK(a[4].answer == 1);
  // Ids are per question.
  CHECK(log.questions[1].samples[0].answer == 1);
  CHECK(log.has_answers);
}

TEST_CASE("without a sample column the samples keep the file's order") {
  const SampleLog log = read_text("correct,question,answer\n1,q,b\n0,r,c\nfalse,q,a\nTRUE,q,b\n");
  REQUIRE(log.questions.size() == 2);
  const auto& q = log.questions[0].samples;
  REQUIRE(q.size() == 3);
  CHECK(q[0].correct);
  CHECK(!q[1].correct);
  CHECK(q[2].correct);
  CHECK(q[0].answer == 1);
  CHECK(q[1].answer == 2);
  CHECK(q[2].answer == 1);
}

TEST_CASE("quoted fields hold commas, doubled quotes and line breaks (CRLF read as LF)") {
  const SampleLog log = read_text(
      "question,correct,answer\r\n"
      "q,1,\"f(1, \"\"a\"\")\"\r\n"
      "q,0,\"line one\r\n"
      "\r\n"
      "line three\"\r\n"
      "q,1,\"f(1, \"\"a\"\")\"\r\n"
      "q,0,\"line one\n\nline three\"\n");
  REQUIRE(log.questions.size() == 1);
  const auto& q = log.questions[0].samples;
  REQUIRE(q.size() == 4);
  CHECK(q[0].answer == 1);
  CHECK(q[1].answer == 2);
  CHECK(q[2].answer == 1);
  CHECK(q[3].answer == 2);
}

TEST_CASE("a JSON Lines log equal in content to a CSV log reads the same") {
  SampleLogOptions options;
  options.c_in = 1e-6;
  options.c_out = 2e-6;
  options.t_in = 0.001;
  options.t_out = 0.02;
  const SampleLog from_csv = read_text(
      "question,sample,correct,answer,score,input_tokens,output_tokens,model\n"
      "7,1,1,\"a, \"\"b\"\"\nc\",0.5,100,20,gpt\n"
      "7,0,0,,-1.25,100,30,gpt\n"
      "x y,0,false,24,2,50,5.5,gpt\n"
      "7,2,true,\"a, \"\"b\"\"\nc\",1e-3,100,10,gpt\n",
      options);
  const SampleLog from_jsonl = read_text(
      "{\"question\": 7, \"sample\": 1, \"correct\": true, \"answer\": \"a, \\\"b\\\"\\nc\", "
      "\"score\": 0.5, \"input_tokens\": 100, \"output_tokens\": 20, \"model\": \"gpt\"}\n"
      "\n"
      "{\"question\": \"7\", \"sample\": 0, \"correct\": 0, \"answer\": null, \"score\": -1.25, "
      "\"input_tokens\": 100, \"output_tokens\": 30}\n"
      "{\"question\": \"x y\", \"sample\": 0.0, \"correct\": false, \"answer\": \" 24\", "
      "\"score\": 2, \"input_tokens\": 50, \"output_tokens\": 5.5}\r\n"
      "{\"sample\": 2, \"question\": 7, \"correct\": 1, \"answer\": \"a, \\\"b\\\"\\nc\", "
      "\"score\": 0.001, \"input_tokens\": 1e2, \"output_tokens\": 10}\n",
      options, "log.data");
  CHECK(from_csv.questions == from_jsonl.questions);
  CHECK(from_csv.has_answers == from_jsonl.has_answers);
  CHECK(from_csv.has_scores);
  CHECK(from_jsonl.has_scores);
  CHECK(from_jsonl.has_cost_split);
  CHECK(from_jsonl.has_latency);
  REQUIRE(from_jsonl.questions.size() == 2);
  const LoggedSample& first = from_jsonl.questions[0].samples[0];
  CHECK(first.answer == 0);
  CHECK(first.score == -1.25);
  CHECK(first.input_cost == doctest::Approx(100 * 1e-6));
  CHECK(first.output_cost == doctest::Approx(30 * 2e-6));
  CHECK(first.latency == doctest::Approx(100 * 0.001 + 30 * 0.02));
  CHECK(from_jsonl.questions[0].samples[1].answer == from_jsonl.questions[0].samples[2].answer);
  REQUIRE(from_csv.notes.size() == 1);
  CHECK(contains(from_csv.notes[0], "log.csv:1: ignoring the column 'model'"));
  REQUIRE(from_jsonl.notes.size() == 1);
  CHECK(contains(from_jsonl.notes[0], "log.data:1: ignoring the key 'model' (line 1)"));
}

TEST_CASE("a cost column gives the total with the split unknown, a latency column the latency") {
  SampleLogOptions options;
  options.c_in = 1.0;
  options.c_out = 1.0;
  const SampleLog log = read_text(
      "question,correct,cost,latency,input_tokens,output_tokens\nq,1,0.25,1.5,3,4\n", options);
  CHECK(log.has_cost);
  CHECK(!log.has_cost_split);
  CHECK(log.has_latency);
  const LoggedSample& sample = log.questions[0].samples[0];
  CHECK(sample.input_cost == 0.0);
  CHECK(sample.output_cost == 0.25);
  CHECK(sample.latency == 1.5);
  REQUIRE(log.notes.size() == 1);
  CHECK(
      contains(log.notes[0], "log.csv:1: c_in and c_out are not used: the log has a cost column"));
}

TEST_CASE("a format given explicitly wins over the extension, and TSV and a BOM are read") {
  SampleLogOptions options = no_cost();
  options.format = SampleLogOptions::Format::jsonl;
  CHECK(read_text("{\"question\": 1, \"correct\": 1}\n", options, "log.csv").questions.size() == 1);
  CHECK(read_text("question\tcorrect\tanswer\nq\t1\ta, b\n").questions[0].samples.size() == 1);
  CHECK(
      read_text("\xEF\xBB\xBFquestion,correct\n\nq,1\n\n", no_cost(), "log.txt").questions.size() ==
      1);
}

TEST_CASE("an optional column empty in every row counts as absent") {
  const SampleLog log = read_text("question,correct,answer,score,sample\nq,1,,,\nq,0,,,\n");
  CHECK(!log.has_answers);
  CHECK(!log.has_scores);
  CHECK(log.questions[0].samples.size() == 2);
}

// ---- Mistakes, each at its file:line ------------------------------------------------------

TEST_CASE("error: an empty log, or one of blank lines") {
  CHECK(contains(error_of(""), "log.csv:1: the log is empty; write a header"));
  CHECK(contains(error_of("\n  \n\n"), "log.csv:3: the log is empty"));
  CHECK(contains(error_of("", no_cost(), "log.jsonl"), "log.jsonl:1: the log is empty"));
}

TEST_CASE("error: a header and no rows") {
  CHECK(contains(error_of("\nquestion,correct\n\n"),
                 "log.csv:2: the log has a header but no rows; add one row per sample"));
}

TEST_CASE("error: a header without question or correct, with a guess") {
  const std::string message = error_of("question,corect,answer\nq,1,a\n");
  CHECK(contains(message, "log.csv:1: the header has no column 'correct' (is 'corect' it?); "));
  CHECK(contains(error_of("correct\n1\n"), "log.csv:1: the header has no column 'question';"));
}

TEST_CASE("error: a column named twice") {
  CHECK(contains(error_of("question,correct,answer,answer\nq,1,a,b\n"),
                 "log.csv:1: column 'answer' appears twice (columns 3 and 4); keep one of them"));
}

TEST_CASE("error: a value that is not a number") {
  CHECK(contains(error_of("question,correct,score\nq,1,0.5\nq,1,high\n"),
                 "log.csv:3: score 'high' is not a number; score is a verifier's score"));
  CHECK(contains(error_of("question,correct,input_tokens,output_tokens\nq,1,1,x\n"),
                 "log.csv:2: output_tokens 'x' is not a number; output_tokens counts"));
}

TEST_CASE("error: a number that is not finite") {
  CHECK(contains(error_of("question,correct,score\nq,1,inf\n"),
                 "log.csv:2: infinity ('inf') is not a valid score"));
  CHECK(
      contains(error_of("question,correct,cost\nq,1,nan\n"), "log.csv:2: NaN is not a valid cost"));
  CHECK(contains(error_of("question,correct,latency\nq,1,1e999\n"),
                 "log.csv:2: latency '1e999' is out of the range of a double"));
  CHECK(contains(
      error_of("{\"question\": 1, \"correct\": 1, \"score\": 1e999}\n", no_cost(), "log.jsonl"),
      "log.jsonl:1: the line is not valid JSON (number overflow parsing '1e999')"));
}

TEST_CASE("error: a negative cost, latency or token count") {
  const std::string message =
      error_of("question,correct,cost,latency,input_tokens,output_tokens\nq,1,-0.1,-2,-3,1\n");
  CHECK(contains(message,
                 "log.csv:2: cost = '-0.1' is negative; cost is the sample's cost in "
                 "USD: write a number >= 0"));
  CHECK(contains(message, "log.csv:2: latency = '-2' is negative"));
  CHECK(contains(message, "log.csv:2: input_tokens = '-3' is negative"));
}

TEST_CASE("error: correct that is neither 0/1 nor true/false, or empty") {
  const std::string message = error_of("question,correct\nq,yes\nq,0.5\nq,\n");
  CHECK(contains(message, "log.csv:2: correct = 'yes' is neither 0/1 nor true/false; write 1"));
  CHECK(contains(message, "log.csv:3: correct = '0.5' is neither 0/1 nor true/false"));
  CHECK(contains(message, "log.csv:4: correct is empty"));
}

TEST_CASE("error: an empty question") {
  CHECK(contains(error_of("question,correct\n,1\n"),
                 "log.csv:2: question is empty; every row names the question"));
}

TEST_CASE("error: a sample position given twice within a question, with both lines") {
  const std::string message = error_of("question,sample,correct\nq,0,1\nr,0,1\nq,1,1\nq,0,0\n");
  CHECK(contains(message,
                 "log.csv:5: sample 0 of question 'q' appears again (first on line 2); "
                 "each sample of a question has its own position"));
  CHECK(!contains(message, "'r'"));
}

TEST_CASE("error: a sample position that is not a whole number >= 0") {
  const std::string message = error_of("question,sample,correct\nq,1.5,1\nq,-1,1\n");
  CHECK(contains(message, "log.csv:2: sample = '1.5' is not a whole number"));
  CHECK(contains(message, "log.csv:3: sample = '-1' is negative"));
}

TEST_CASE("error: one answer both correct and wrong within a question, with both lines") {
  const std::string message =
      error_of("question,correct,answer\nq,1,24\nr,0,24\nq,1,\nq,0,\nq,0,24\nq,0,24\n");
  CHECK(contains(message,
                 "log.csv:6: answer '24' of question 'q' is wrong here but correct on "
                 "line 2; an answer is right or wrong for its question"));
  // Reported once; no answer at all may be correct in one sample and wrong in another.
  CHECK(!contains(message, "log.csv:7"));
  CHECK(!contains(message, "log.csv:4"));
  CHECK(!contains(message, "log.csv:5"));
}

TEST_CASE("error: a row with the wrong number of fields") {
  CHECK(contains(error_of("question,correct,answer\nq,1,a,b\n"),
                 "log.csv:2: the row has 4 fields but the header (line 1) has 3"));
}

TEST_CASE("error: an optional column empty in some rows only") {
  CHECK(contains(error_of("question,correct,score\nq,1,1\nq,1,\nq,0,\nq,1,2\n"),
                 "log.csv:3: score has no value here and on 1 more row, but line 2 has one"));
}

TEST_CASE("error: no cost or latency when required, with what is missing") {
  SampleLogOptions options;
  CHECK(contains(error_of("question,correct,input_tokens,output_tokens\nq,1,1,2\n", options),
                 "log.csv:1: the log has no cost: no cost column, and no prices c_in and c_out "
                 "for its tokens; add a cost column (USD per sample), or input_tokens and "
                 "output_tokens columns and give the prices c_in and c_out (USD per token)"));
  options.c_in = 1.0;
  options.c_out = 1.0;
  const std::string message = error_of("question,correct,input_tokens\nq,1,1\n", options);
  CHECK(contains(message,
                 "log.csv:1: the log has no cost: no cost column, and input_tokens but "
                 "no output_tokens column"));
  CHECK(contains(message,
                 "log.csv:1: the log has no latency: no latency column, and "
                 "input_tokens but no output_tokens column"));
}

TEST_CASE("error: options out of range or without their partner") {
  SampleLogOptions options;
  options.c_in = -1.0;
  options.t_out = 0.5;
  const std::string message = error_of("question,correct\nq,1\n", options);
  CHECK(contains(message, "sample log option c_in = -1 is not a number >= 0"));
  CHECK(contains(message, "sample log option c_in is given without c_out"));
  CHECK(contains(message, "sample log option t_out is given without t_in"));
}

TEST_CASE("error: a quoted field never closed") {
  CHECK(contains(error_of("question,correct,answer\nq,1,a\nq,0,\"open\nmore\n"),
                 "log.csv:3: a quoted field opened in this row is never closed"));
  CHECK(contains(error_of("question,correct,answer\nq,1,\"a\"b\n"),
                 "log.csv:2: field 3 has text after its closing quote"));
}

TEST_CASE("error: bytes that are not text") {
  CHECK(contains(error_of(std::string("question,correct\nq,1\nq\x01,0\n")),
                 "log.csv:3: byte 2 of the line is a control character"));
}

TEST_CASE("error: JSON Lines that are not JSON objects") {
  const std::string message = error_of(
      "{\"question\": 1, \"correct\": 1}\n{\"question\": 2,}\n[1]\n"
      "{\"question\": 3, \"correct\": 1, \"answer\": [1]}\n",
      no_cost(), "log.jsonl");
  CHECK(contains(message, "log.jsonl:2: the line is not valid JSON (parse error at column"));
  CHECK(contains(message, "log.jsonl:3: the line is a JSON array, not an object"));
  CHECK(contains(message, "log.jsonl:4: answer is a JSON array; write a string or a number"));
}

TEST_CASE("error: a line longer than the limit stops reading") {
  const std::string message = error_of("question,correct,answer\nq,1," +
                                       std::string(std::size_t{1} << 21, 'a') + "\nq,1,\n");
  CHECK(contains(message, "log.csv:2: the line is longer than 1048576 bytes"));
  CHECK(contains(message, "reading stopped before line 3"));
  const std::string quoted =
      error_of("question,correct,answer\nq,1,\"" + std::string(4000, 'a') + "\n" +
               std::string(1100, '\n') + std::string(std::size_t{1} << 20, 'b') + "\n");
  CHECK(contains(quoted, "log.csv:2: the row starting here is longer than 1048576 bytes"));
}

TEST_CASE("error: every problem at once, the first 20 listed and the rest counted") {
  std::string text = "question,correct,score\n";
  for (int i = 0; i < 25; ++i)
    text += "q,1,bad\n";
  const std::string message = error_of(text);
  CHECK(contains(message, "log.csv:2: score 'bad' is not a number"));
  CHECK(contains(message, "log.csv:21: score 'bad' is not a number"));
  CHECK(!contains(message, "log.csv:22:"));
  CHECK(contains(message, "... and 5 more errors"));
}

TEST_CASE("error: a file that cannot be opened, or a folder") {
  kcube::test::TempDir dir;
  CHECK(contains(kcube::test::message_of(
                     [&] { kcube::read_sample_log(dir.path() / "missing.csv", no_cost()); }),
                 "missing.csv': No such file or directory"));
  CHECK(contains(kcube::test::message_of([&] { kcube::read_sample_log(dir.path(), no_cost()); }),
                 "Is a directory"));
}

namespace {

// The mean over questions of the exact pass@k (kcube/estimators.hpp).
double mean_pass_at_k(const SampleLog& log, std::int64_t k) {
  double sum = 0.0;
  for (const auto& question : log.questions) {
    std::int64_t correct = 0;
    for (const LoggedSample& sample : question.samples)
      correct += sample.correct ? 1 : 0;
    sum += kcube::pass_at_k(static_cast<std::int64_t>(question.samples.size()), correct, k);
  }
  return sum / static_cast<double>(log.questions.size());
}

// Majority vote over all n samples of each question, counted directly: ties split uniformly
// (kcube's rule), and ties to the answer seen first (Yao et al.'s rule). Answer ids number the
// answers by first appearance, so the first seen is the smallest id.
struct FullVote {
  double split = 0.0, first_seen = 0.0;
};
FullVote full_majority_vote(const SampleLog& log) {
  FullVote vote;
  for (const auto& question : log.questions) {
    std::map<std::uint32_t, std::pair<int, bool>> answers;  // id -> (count, correct)
    for (const LoggedSample& sample : question.samples) {
      if (sample.answer != 0) {
        auto& entry = answers[sample.answer];
        ++entry.first;
        entry.second = sample.correct;
      }
    }
    int top = 0;
    for (const auto& entry : answers)
      top = std::max(top, entry.second.first);
    int tied = 0, tied_correct = 0;
    bool first_found = false;
    for (const auto& entry : answers) {  // increasing id: first seen first
      if (entry.second.first != top)
        continue;
      ++tied;
      tied_correct += entry.second.second ? 1 : 0;
      if (!first_found) {
        first_found = true;
        vote.first_seen += entry.second.second ? 1.0 : 0.0;
      }
    }
    if (tied > 0)
      vote.split += static_cast<double>(tied_correct) / tied;
  }
  const auto questions = static_cast<double>(log.questions.size());
  return {vote.split / questions, vote.first_seen / questions};
}

// The mean over questions of the exact majority-vote accuracy at k (kcube/estimators.hpp).
double mean_majority_vote(const SampleLog& log, std::int64_t k) {
  double sum = 0.0;
  for (const auto& question : log.questions) {
    std::map<std::uint32_t, kcube::AnswerGroup> groups;
    std::int64_t empty = 0;
    for (const LoggedSample& sample : question.samples) {
      if (sample.answer == 0) {
        ++empty;
        continue;
      }
      auto& group = groups[sample.answer];
      ++group.size;
      group.correct = sample.correct;
    }
    std::vector<kcube::AnswerGroup> list;
    for (const auto& entry : groups)
      list.push_back(entry.second);
    sum += kcube::majority_vote_curve(list, empty, k).back();
  }
  return sum / static_cast<double>(log.questions.size());
}

}  // namespace

TEST_CASE("the shipped logs reproduce the published pass@k (exact, kcube/estimators.hpp)") {
  const auto log = [](const char* file) {
    return kcube::read_sample_log(data_dir / file, no_cost());
  };
  // Yao et al. 2023, Table 2: best of 100 is 49 % (chain of thought) and 33 % (input-output);
  // with k = n every question with a correct sample counts, so these are exact.
  const SampleLog cot = log("game24-cot-gpt4.csv");
  CHECK(std::abs(mean_pass_at_k(cot, 1) - 0.0403) < 1e-4);
  CHECK(std::abs(mean_pass_at_k(cot, 100) - 0.49) < 1e-12);
  const SampleLog io = log("game24-io-gpt4.csv");
  CHECK(std::abs(mean_pass_at_k(io, 1) - 0.0734) < 1e-4);
  CHECK(std::abs(mean_pass_at_k(io, 100) - 0.33) < 1e-12);
  // CRUXEval, CodeLlama-7B at T 0.2: the unbiased estimates stored in the source files.
  const SampleLog input = log("cruxeval-input-codellama7b.csv");
  CHECK(std::abs(mean_pass_at_k(input, 1) - 0.3595) < 1e-4);
  CHECK(std::abs(mean_pass_at_k(input, 5) - 0.4499) < 1e-4);
  const SampleLog output = log("cruxeval-output-codellama7b.csv");
  CHECK(std::abs(mean_pass_at_k(output, 1) - 0.3421) < 1e-4);
  CHECK(std::abs(mean_pass_at_k(output, 5) - 0.4029) < 1e-4);
}

TEST_CASE("majority vote over all 100 samples: the exact curve's end, and Yao et al.'s 9.0 %") {
  const SampleLog cot = kcube::read_sample_log(data_dir / "game24-cot-gpt4.csv", no_cost());
  const FullVote direct = full_majority_vote(cot);
  // At k = n no subset is drawn: the exact estimator must equal the direct count.
  CHECK(std::abs(mean_majority_vote(cot, 100) - direct.split) < 1e-12);
  // With their tie rule (the answer seen first), the count is the published 9.0 %.
  CHECK(std::abs(direct.first_seen - 0.09) < 1e-12);
}
