// The benchmark: exact majority-vote curves k = 1..K_MAX for every question of a sample
// log (CSV with the columns `question`, `answer`, `correct`; quoted fields may hold commas,
// quotes and newlines). Usage: bench_majority_vote LOG.csv [K_MAX]. Prints the time of the
// curves (the log's reading is not timed) and the mean accuracies at a few k.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kcube/estimators.hpp"

namespace {

// The records of a CSV text (RFC 4180 quoting).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      records.back().push_back(std::move(field));
      field.clear();
    } else if (ch == '\n') {
      records.back().push_back(std::move(field));
      field.clear();
      records.emplace_back();
    } else if (ch != '\r') {
      field += ch;
    }
  }
  if (!field.empty() || !records.back().empty())
    records.back().push_back(std::move(field));
  else
    records.pop_back();
  return records;
}

// One question's samples by answer: (answer, correct) -> samples; the empty answer is no answer.
// The correct flag is part of the key, as a checker may judge equal strings differently.
using Question = std::map<std::pair<std::string, bool>, std::int64_t>;

std::map<std::string, Question> read_log(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto records = parse_csv(buffer.str());
  const auto column = [&](const std::string& name) {
    const auto& header = records.front();
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      std::cerr << path << ": no column `" << name << "`\n";
      std::exit(2);
    }
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t question = column("question");
  const std::size_t answer = column("answer");
  const std::size_t correct = column("correct");
  std::map<std::string, Question> questions;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& row = records[r];
    ++questions[row.at(question)][{row.at(answer), row.at(correct) == "1"}];
  }
  return questions;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_majority_vote LOG.csv [K_MAX]\n";
    return 2;
  }
  const std::int64_t k_max = argc > 2 ? std::stoll(argv[2]) : 100;
  const auto questions = read_log(argv[1]);

  struct Summary {
    std::vector<kcube::AnswerGroup> groups;
    std::int64_t empty = 0;
  };
  std::vector<Summary> summaries;
  for (const auto& [id, answers] : questions) {
    Summary s;
    for (const auto& [key, count] : answers) {
      if (key.first.empty())
        s.empty += count;
      else
        s.groups.push_back({count, key.second});
    }
    summaries.push_back(std::move(s));
  }

  constexpr int kRepeats = 5;
  double best = 1e300;
  double total = 0.0;
  std::vector<double> mean(static_cast<std::size_t>(k_max), 0.0);
  for (int repeat = 0; repeat < kRepeats; ++repeat) {
    std::fill(mean.begin(), mean.end(), 0.0);
    const auto start = std::chrono::steady_clock::now();
    for (const Summary& s : summaries) {
      const std::vector<double> curve = kcube::majority_vote_curve(s.groups, s.empty, k_max);
      for (std::size_t i = 0; i < curve.size(); ++i)
        mean[i] += curve[i] / static_cast<double>(summaries.size());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    total += seconds;
  }
  std::cout << argv[1] << ": " << summaries.size() << " questions, majority-vote curves k = 1.."
            << k_max << ": best " << best << " s, mean " << total / kRepeats << " s of " << kRepeats
            << " runs\n";
  for (const std::int64_t k : {1, 5, 10, 50, 100, 1000}) {
    if (k <= k_max)
      std::cout << "  mean accuracy at k = " << k << ": " << mean[static_cast<std::size_t>(k - 1)]
                << "\n";
  }
  return 0;
}
