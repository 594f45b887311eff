// kcube-bench-samplelog: how long read_sample_log() takes on a large synthetic log (see
// README.md, "Sample logs").
//
//   kcube-bench-samplelog [--questions N] [--samples M] [--repetitions R] [--keep FILE]
//
// Writes a CSV log of N questions x M samples (default 1,000 x 1,000: one million rows) with a
// sample position, correctness, an answer (some quoted, with a comma) and token counts, then reads
// it R times (default 3) and reports each wall time, the best, and the process's peak resident
// memory. The log is seeded, so it is the same file on every run.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include <boost/program_options.hpp>

#include "kcube/error.hpp"
#include "kcube/sample_log.hpp"

namespace {

namespace po = boost::program_options;

namespace fs = std::filesystem;

struct Settings {
  std::size_t questions = 1000;
  std::size_t samples = 1000;
  int repetitions = 3;
  std::string keep;  // empty: a temporary file, removed at the end
};

// Peak resident memory of this process so far, in MiB (Linux reports KiB).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Each question has 1..16 distinct answers; answer 0 is its right one. Every fourth answer is a
// call with a comma, so quoted fields are part of the work.
void write_log(const fs::path& path, const Settings& settings) {
  std::ofstream out(path, std::ios::binary);
  out << "question,sample,correct,answer,input_tokens,output_tokens\n";
  std::mt19937_64 random(20250101);
  for (std::size_t q = 0; q < settings.questions; ++q) {
    const std::uint64_t answers = 1 + random() % 16;
    const std::uint64_t prompt = 200 + random() % 400;
    for (std::size_t s = 0; s < settings.samples; ++s) {
      const std::uint64_t answer = random() % answers;
      out << 'q' << q << ',' << s << ',' << (answer == 0 ? 1 : 0) << ',';
      // One sample in eight gives no answer (an empty field).
      if (random() % 8 != 0 && answer % 4 == 3)
        out << "\"f(" << answer << ", 1)\"";
      else if (random() % 8 != 0)
        out << "x = " << answer;
      out << ',' << prompt << ',' << 20 + random() % 300 << '\n';
    }
  }
  if (!out)
    throw std::runtime_error("cannot write " + path.string());
}

int run(int argc, char** argv) {
  Settings settings;
  std::size_t repetitions = static_cast<std::size_t>(settings.repetitions);
  po::options_description usage("kcube-bench-samplelog options");
  usage.add_options()("help", "print this help")(
      "questions", po::value(&settings.questions)->default_value(settings.questions),
      "questions in the synthetic log (>= 1)")(
      "samples", po::value(&settings.samples)->default_value(settings.samples),
      "samples per question (>= 1)")("repetitions",
                                     po::value(&repetitions)->default_value(repetitions),
                                     "reads of the log, 1 to 100; the best is reported")(
      "keep", po::value(&settings.keep)->value_name("FILE"),
      "write the log to FILE and keep it (default: a temporary file, removed)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, usage), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "kcube-bench-samplelog: " << e.what() << "\n" << usage;
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << usage;
    return 0;
  }
  if (settings.questions == 0 || settings.samples == 0 || repetitions == 0 || repetitions > 100) {
    std::cerr << "kcube-bench-samplelog: --questions and --samples must be at least 1, "
                 "--repetitions 1 to 100\n";
    return 2;
  }
  settings.repetitions = static_cast<int>(repetitions);
  const fs::path path = settings.keep.empty()
                            ? fs::temp_directory_path() /
                                  ("kcube-bench-samplelog-" + std::to_string(::getpid()) + ".csv")
                            : fs::path(settings.keep);
  write_log(path, settings);
  const auto bytes = fs::file_size(path);
  std::printf("== sample-log load: %zu questions x %zu samples (%zu rows, %.1f MiB CSV)\n",
              settings.questions, settings.samples, settings.questions * settings.samples,
              static_cast<double>(bytes) / (1024.0 * 1024.0));
  std::printf("peak RSS before reading: %.1f MiB\n", peak_rss_mib());
  kcube::SampleLogOptions options;
  options.c_in = 3e-5;
  options.c_out = 6e-5;
  options.require_latency = false;
  double best = 1e300;
  std::size_t rows = 0;
  for (int r = 0; r < settings.repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const kcube::SampleLog log = kcube::read_sample_log(path, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rows = 0;
    for (const auto& question : log.questions)
      rows += question.samples.size();
    best = std::min(best, seconds);
    std::printf("read %d: %.3f s (%zu questions, %zu rows)\n", r + 1, seconds, log.questions.size(),
                rows);
  }
  std::printf("best: %.3f s, %.2f M rows/s (target: under 2 s for 1,000 x 1,000)\n", best,
              static_cast<double>(rows) / best / 1e6);
  std::printf("peak RSS: %.1f MiB\n", peak_rss_mib());
  if (settings.keep.empty())
    fs::remove(path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const kcube::Error& e) {
    std::cerr << "kcube-bench-samplelog: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kcube-bench-samplelog: " << e.what() << '\n';
    return 1;
  }
}
