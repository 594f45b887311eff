// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so that the
// normal (GCC) test suite runs every committed corpus and regression input:
//
//   fuzz-replay-TARGET [--generated] [--max-seconds S] PATH...
//   fuzz-replay-TARGET --write DIR
//
// Each PATH is a file or a folder (every file below it, in name order). --generated also runs
// the target's generated inputs (10 MB files, depth and alias bombs; generated_inputs.hpp);
// --write DIR writes them to DIR instead, to feed them to a libFuzzer binary or to kcube itself.
// A bug aborts inside the target; an input that takes more than --max-seconds of processor time
// (default 60: the 10 MB inputs take a few seconds, a quadratic blow-up on them hours) fails the
// run as a hang would.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "generated_inputs.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Runs one input; the processor time it took, in seconds (not the wall time: a busy machine
// must not turn a slow input into a failure).
double run_one(const std::string& bytes) {
  const std::clock_t start = std::clock();
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

std::vector<fs::path> files_under(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (entry.is_regular_file())
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  bool generated = false;
  double max_seconds = 60.0;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--write" && i + 1 < argc) {
      const fs::path dir = argv[++i];
      fs::create_directories(dir);
      for (const auto& input : kcube::fuzz::generated_inputs(KCUBE_FUZZ_TARGET)) {
        std::ofstream out(dir / input.name, std::ios::binary);
        out.write(input.bytes.data(), static_cast<std::streamsize>(input.bytes.size()));
      }
      return 0;
    }
    if (arg == "--generated") {
      generated = true;
    } else if (arg == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::atof(argv[++i]);
    } else if (arg.starts_with("--")) {
      std::cerr << "usage: " << argv[0] << " [--generated] [--max-seconds S] PATH...\n"
                << "       " << argv[0] << " --write DIR\n";
      return 2;
    } else {
      paths.emplace_back(arg);
    }
  }

  std::size_t count = 0;
  std::size_t slow = 0;
  const auto judge = [&](const std::string& name, std::size_t size, double seconds) {
    ++count;
    if (seconds > max_seconds) {
      ++slow;
      std::cout << "SLOW " << name << " (" << size << " bytes): " << seconds << " s > "
                << max_seconds << " s\n";
    }
  };
  for (const fs::path& path : paths) {
    if (!fs::exists(path)) {
      std::cerr << "no such file or folder: " << path << '\n';
      return 2;
    }
    for (const fs::path& file : files_under(path)) {
      std::ifstream in(file, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      judge(file.string(), bytes.size(), run_one(bytes));
    }
  }
  if (generated) {
    for (const auto& input : kcube::fuzz::generated_inputs(KCUBE_FUZZ_TARGET)) {
      // Named before it runs, so that a crash says which input it was.
      std::cout << "generated " << input.name << " (" << input.bytes.size()
                << " bytes): " << std::flush;
      const double seconds = run_one(input.bytes);
      std::cout << seconds << " s of processor time" << std::endl;
      judge(input.name, input.bytes.size(), seconds);
    }
  }
  std::cout << KCUBE_FUZZ_TARGET << ": " << count - slow << " passed, " << slow << " failed\n";
  return slow == 0 ? 0 : 1;
}
