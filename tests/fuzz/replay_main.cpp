// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so that the
// normal (GCC) test suite runs every committed corpus and regression input:
//
//   fuzz-replay-TARGET [--generated] [--large-bytes N] [--max-seconds S] PATH...
//   fuzz-replay-TARGET [--large-bytes N] --write DIR
//
// Each PATH is a file or a folder (every file below it, in name order). --generated also runs
// the target's generated inputs (large files, depth and alias bombs; generated_inputs.hpp), the
// large ones of N bytes each (default 10 MiB: "a 10 MB file"; the test suite uses 1 MiB and
// .ci/run replays them at 10 MiB); --write DIR writes them to DIR instead, to feed them to a
// libFuzzer binary or to kcube itself.
// A bug aborts inside the target; an input that takes more than --max-seconds of processor time
// (default 60: the 10 MiB inputs take a few seconds, a quadratic blow-up on them hours) fails the
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
#include <optional>
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

int usage(const char* program) {
  std::cerr << "usage: " << program
            << " [--generated] [--large-bytes N] [--max-seconds S] PATH...\n"
            << "       " << program << " [--large-bytes N] --write DIR\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool generated = false;
  double max_seconds = 60.0;
  std::size_t large_bytes = kcube::fuzz::kLargeInputBytes;
  std::vector<fs::path> paths;
  std::optional<fs::path> write_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--large-bytes" && i + 1 < argc) {
      char* end = nullptr;
      const unsigned long long value = std::strtoull(argv[++i], &end, 10);
      // At least 64 KiB: the generators leave room for their heads and tails within the size.
      if (end == argv[i] || *end != '\0' || value < (std::size_t{64} << 10) ||
          value > (std::size_t{1} << 30)) {
        std::cerr << "--large-bytes must be a whole number of bytes from 65536 to 2^30, got '"
                  << argv[i] << "'\n";
        return 2;
      }
      large_bytes = static_cast<std::size_t>(value);
    } else if (arg == "--write" && i + 1 < argc) {
      write_dir = argv[++i];
    } else if (arg == "--generated") {
      generated = true;
    } else if (arg == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::atof(argv[++i]);
    } else if (arg.starts_with("--")) {
      return usage(argv[0]);
    } else {
      paths.emplace_back(arg);
    }
  }
  if (write_dir) {
    fs::create_directories(*write_dir);
    for (const auto& input : kcube::fuzz::generated_inputs(KCUBE_FUZZ_TARGET, large_bytes)) {
      std::ofstream out(*write_dir / input.name, std::ios::binary);
      out.write(input.bytes.data(), static_cast<std::streamsize>(input.bytes.size()));
    }
    return 0;
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
    for (const auto& input : kcube::fuzz::generated_inputs(KCUBE_FUZZ_TARGET, large_bytes)) {
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
