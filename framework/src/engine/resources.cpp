#include "engine/resources.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <new>
#include <optional>
#include <vector>

#include "engine/engine.hpp"
#include "host/plugin_call.hpp"
#include "kcube/error.hpp"

namespace kcube {
namespace {

std::optional<std::uint64_t> parse_digits(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return value;
}

// KCUBE_FAULT_THREAD_START (see resources.hpp): how many threads the probe may start, or
// nullopt when unset.
std::optional<std::uint64_t> injected_thread_limit() {
  static const std::optional<std::uint64_t> limit = []() -> std::optional<std::uint64_t> {
    const char* value = std::getenv("KCUBE_FAULT_THREAD_START");
    if (value == nullptr)
      return std::nullopt;
    const auto n = parse_digits(value);
    if (!n) {
      throw Error("KCUBE_FAULT_THREAD_START (a test hook): expected a whole number >= 0, got '" +
                  std::string(value) + "'; unset it");
    }
    return n;
  }();
  return limit;
}

// The probe's threads wait on this until all exist, so that they are alive at once as a team.
std::mutex probe_gate;

void* probe_thread(void*) {
  const std::lock_guard lock(probe_gate);
  return nullptr;
}

// The smallest number in the file, if it holds one ("max" and missing files: nullopt).
std::optional<std::uint64_t> read_limit(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string word;
  if (!(in >> word))
    return std::nullopt;
  return parse_digits(word);
}

// The memory cgroup's limit of this process: the smallest over its cgroup and the parents.
std::optional<std::uint64_t> cgroup_memory_limit() {
  std::ifstream in("/proc/self/cgroup");
  std::optional<std::uint64_t> best;
  const auto consider = [&best](const std::filesystem::path& root, std::string path,
                                const char* file) {
    // /proc/self/cgroup names the cgroup from the hierarchy's root; inside a container the
    // mount may start lower, so the mount's own root is read as well.
    for (;;) {
      if (const auto limit = read_limit(root / path.substr(path.empty() ? 0 : 1) / file))
        best = std::min(best.value_or(*limit), *limit);
      if (path.empty() || path == "/")
        break;
      path.resize(path.rfind('/'));
    }
  };
  std::string line;
  while (std::getline(in, line)) {
    // "hierarchy-ID:controller-list:cgroup-path"
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      consider("/sys/fs/cgroup", path, "memory.max");
    } else {
      std::string list = "," + controllers + ",";
      if (list.find(",memory,") != std::string::npos)
        consider("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes");
    }
  }
  return best;
}

}  // namespace

ThreadCount parse_thread_count(std::string_view text) {
  ThreadCount count;
  if (text == "auto")
    return count;
  const std::string expected = "'auto' or an integer in [1, " + std::to_string(kMaxThreads) + "]";
  const std::string hint =
      " ('auto' is the " + std::to_string(resolve_threads(0)) + " threads OpenMP would use here)";
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative)
    digits.remove_prefix(1);
  const auto value = parse_digits(digits);
  if (!value) {
    count.problem = "expected " + expected + ", got '" + std::string(text) + "'" + hint;
  } else if (negative || *value < 1 || *value > static_cast<std::uint64_t>(kMaxThreads)) {
    count.problem = "must be " + expected + ", got " + std::string(text) + hint;
  } else {
    count.threads = static_cast<int>(*value);
  }
  return count;
}

int resolve_threads(int threads) {
  return threads > 0 ? threads : std::min(default_threads(), kMaxThreads);
}

void check_threads_start(int threads, std::string_view how_to_lower) {
  const auto wanted = static_cast<std::size_t>(std::max(threads, 1) - 1);
  const auto allowed = injected_thread_limit();
  std::vector<pthread_t> started;
  int error = 0;
  {
    const std::lock_guard hold(probe_gate);
    try {
      started.reserve(wanted);
    } catch (const std::bad_alloc&) {
      error = ENOMEM;
    }
    while (error == 0 && started.size() < wanted) {
      if (allowed && started.size() >= *allowed) {
        error = EAGAIN;
        break;
      }
      pthread_t thread{};
      error = pthread_create(&thread, nullptr, probe_thread, nullptr);
      if (error == 0)
        started.push_back(thread);
    }
  }
  for (const pthread_t thread : started)
    pthread_join(thread, nullptr);
  if (error != 0) {
    throw Error("cannot start " + std::to_string(threads) + " threads: " + std::strerror(error) +
                " (only " + std::to_string(started.size() + 1) + " could run at once); " +
                std::string(how_to_lower));
  }
}

std::uint64_t parse_memory_size(std::string_view text, std::string_view option) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0)
    ++digits;
  std::string unit(text.substr(digits));
  std::transform(unit.begin(), unit.end(), unit.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  int shift = -1;
  const std::string units = "KMGT";
  if (unit.empty() || unit == "B") {
    shift = 0;
  } else if (const auto at = units.find(unit.front()); at != std::string::npos) {
    const std::string rest = unit.substr(1);
    if (rest.empty() || rest == "B" || rest == "IB")
      shift = 10 * static_cast<int>(at + 1);
  }
  const auto number = parse_digits(text.substr(0, digits));
  const auto fail = [&](const std::string& why) {
    throw Error(std::string(option) +
                " must be a size such as 4G, 512M or a number of bytes (K, M, "
                "G, T are powers of 1024), got '" +
                std::string(text) + "'" + why);
  };
  if (!number || shift < 0)
    fail("");
  if (*number == 0)
    fail(": it must be more than 0");
  if (*number > (std::numeric_limits<std::uint64_t>::max() >> shift))
    fail(": it is too large");
  return *number << shift;
}

std::uint64_t available_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  std::uint64_t memory = std::numeric_limits<std::uint64_t>::max();
  if (pages > 0 && page_size > 0)
    memory = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  if (const auto limit = cgroup_memory_limit())
    memory = std::min(memory, *limit);
  return memory;
}

std::uint64_t default_memory_limit() {
  return available_memory() / 2;
}

void check_memory_limit(std::uint64_t bytes, std::uint64_t limit, std::string_view what) {
  if (bytes <= limit)
    return;
  throw Error(std::string(what) + " needs about " + format_bytes(bytes) +
              " of memory, more than the memory limit of " + format_bytes(limit) +
              " (--memory-limit; by default half of the memory available, " +
              format_bytes(default_memory_limit()) +
              " here); lower run.trials or --threads, or raise --memory-limit (e.g. "
              "--memory-limit " +
              (bytes < (std::uint64_t{1} << 30) ? std::to_string((bytes >> 20) + 1) + "M"
                                                : std::to_string((bytes >> 30) + 1) + "G") +
              ") if the machine has the memory");
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024)
    return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  char digits[32];
  std::snprintf(digits, sizeof digits, "%.1f", value);
  return std::string(digits) + " " + units[unit];
}

std::string failure_text(std::string_view doing) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return "out of memory while " + std::string(doing) +
           "; lower run.trials or --threads, or free memory";
  } catch (...) {
    return current_exception_text();
  }
}

}  // namespace kcube
