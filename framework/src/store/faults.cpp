#include "store/faults.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kcube/error.hpp"
#include "store/sqlite.hpp"

namespace kcube::store_detail {

namespace {

/// Their names in KCUBE_FAULT_INJECTION, in the order of FaultPoint.
constexpr std::array<std::string_view, 12> kFaultPointNames = {
    "check_identity:before_tables", "migrate:before_commit",     "begin_run:before_commit",
    "write_cell:before_begin",      "write_cell:after_cell_row", "write_cell:after_candidates",
    "write_cell:before_commit",     "write_cell:after_commit",   "finish_run:before_commit",
    "finish_run:after_commit",      "merge:before_commit",       "lock:busy"};

enum class FaultAction { kill, sleep, full, touch, wait };

/// How long wait=FILE waits for its file before the process gives up. A guard against rules that
/// never meet (a test would hang), not a timing: a wait that can end ends in milliseconds.
constexpr int kFaultWaitLimitSeconds = 60;
/// The exit status of a process whose touch=FILE or wait=FILE cannot be done: timeout(1)'s.
constexpr int kFaultHookExitStatus = 124;

struct FaultRule {
  FaultAction action = FaultAction::kill;
  int sleep_ms = 0;
  /// The file of touch=FILE and wait=FILE.
  std::string file;
  std::size_t point = 0;
  /// The occurrence it fires at, 1-based; 0 for every one.
  std::int64_t occurrence = 0;
};

struct FaultPlan {
  /// Parses KCUBE_FAULT_INJECTION's value (null: unset).
  explicit FaultPlan(const char* value);

  /// Whether a rule acts at `point`.
  bool acts_at(FaultPoint point) const {
    return std::any_of(rules.begin(), rules.end(), [point](const FaultRule& rule) {
      return rule.point == static_cast<std::size_t>(point);
    });
  }

  std::vector<FaultRule> rules;
  /// How often each point was reached in this process.
  std::array<std::atomic<std::int64_t>, kFaultPointNames.size()> reached{};
  /// Why KCUBE_FAULT_INJECTION is malformed; empty when it is fine or unset.
  std::string error;
};

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

bool parse_positive(std::string_view text, std::int64_t& value) {
  const auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && ec == std::errc() && stop == text.data() + text.size() && value > 0;
}

FaultPlan::FaultPlan(const char* value) {
  if (value == nullptr || *value == '\0')
    return;
  for (const std::string_view rule_text : split(value, ',')) {
    const auto fields = split(rule_text, ':');
    FaultRule rule;
    std::string why;
    std::int64_t number = 0;
    if (fields.size() != 4) {
      why = "a rule has 4 fields separated by ':' (the FILE of touch= and wait= holds no ':')";
    } else if (fields[0] == "kill" || fields[0] == "full") {
      rule.action = fields[0] == "kill" ? FaultAction::kill : FaultAction::full;
    } else if (fields[0].rfind("sleep=", 0) == 0 && parse_positive(fields[0].substr(6), number)) {
      rule.action = FaultAction::sleep;
      rule.sleep_ms = static_cast<int>(std::min<std::int64_t>(number, 3'600'000));
    } else if (fields[0].rfind("touch=", 0) == 0 && fields[0].size() > 6) {
      rule.action = FaultAction::touch;
      rule.file = std::string(fields[0].substr(6));
    } else if (fields[0].rfind("wait=", 0) == 0 && fields[0].size() > 5) {
      rule.action = FaultAction::wait;
      rule.file = std::string(fields[0].substr(5));
    } else {
      why = "the action is kill, full, sleep=MS, touch=FILE or wait=FILE";
    }
    if (why.empty()) {
      const std::string name = std::string(fields[1]) + ":" + std::string(fields[2]);
      const auto found = std::find(kFaultPointNames.begin(), kFaultPointNames.end(), name);
      if (found == kFaultPointNames.end())
        why = "there is no point '" + name + "'";
      rule.point = static_cast<std::size_t>(found - kFaultPointNames.begin());
    }
    if (why.empty() && rule.action == FaultAction::full &&
        rule.point == static_cast<std::size_t>(FaultPoint::lock_busy))
      why = "full cannot act at lock:busy, where SQLite is waiting for a lock";
    if (why.empty() && fields[3] != "*" && !parse_positive(fields[3], rule.occurrence))
      why = "N is a count from 1, or * for every time";
    if (!why.empty()) {
      std::string points;
      for (const auto point : kFaultPointNames)
        points += (points.empty() ? "" : ", ") + std::string(point);
      error = "KCUBE_FAULT_INJECTION (a test hook): '" + std::string(rule_text) +
              "' is not ACTION:FUNCTION:POINT:N: " + why + "; points: " + points +
              "; unset it outside tests";
      rules.clear();
      return;
    }
    rules.push_back(rule);
  }
}

FaultPlan& fault_plan() {
  static FaultPlan plan(std::getenv("KCUBE_FAULT_INJECTION"));
  return plan;
}

/// Ends the process after a message, when a rule of KCUBE_FAULT_INJECTION cannot be done.
[[noreturn]] void fault_hook_failed(const FaultRule& rule, std::int64_t occurrence,
                                    const std::string& why) {
  std::fprintf(stderr,
               "kcube: KCUBE_FAULT_INJECTION (a test hook): %s at %s (occurrence %lld): %s\n",
               rule.action == FaultAction::touch ? "touch" : "wait",
               std::string(kFaultPointNames[rule.point]).c_str(),
               static_cast<long long>(occurrence), why.c_str());
  std::fflush(stderr);
  std::_Exit(kFaultHookExitStatus);
}

/// touch=FILE: creates FILE, empty, or leaves it as it is when it exists.
void touch_file(const FaultRule& rule, std::int64_t occurrence) {
  const int fd = ::open(rule.file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fault_hook_failed(rule, occurrence,
                      "cannot create '" + rule.file + "' (" + std::strerror(errno) + ")");
  }
  ::close(fd);
}

/// wait=FILE: returns once FILE exists, looking every millisecond; gives up after
/// kFaultWaitLimitSeconds, which only rules that never meet reach.
void wait_for_file(const FaultRule& rule, std::int64_t occurrence) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(kFaultWaitLimitSeconds);
  while (::access(rule.file.c_str(), F_OK) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      fault_hook_failed(rule, occurrence,
                        "'" + rule.file + "' did not appear in " +
                            std::to_string(kFaultWaitLimitSeconds) +
                            " s; no process touched it. Check the test's rules: a touch= of "
                            "this file at a point some process reaches, and no two processes "
                            "waiting for each other");
    }
    timespec pause{0, 1'000'000L};
    ::nanosleep(&pause, nullptr);
  }
}

/// SQLite's busy handler while a rule of KCUBE_FAULT_INJECTION acts at lock:busy: waits for the
/// lock like sqlite3_busy_timeout(kBusyTimeoutMs), in steps of 1 ms, and reaches lock:busy as
/// each wait begins. A busy handler must not use its connection (SQLite's rule): no `full` here.
int busy_with_fault_point(void*, int count) {
  static const std::string no_path;
  if (count == 0)
    inject_fault(nullptr, no_path, FaultPoint::lock_busy);
  if (count >= kBusyTimeoutMs)
    return 0;
  sqlite3_sleep(1);
  return 1;
}

}  // namespace

void check_fault_plan() {
  if (!fault_plan().error.empty())
    throw Error(fault_plan().error);
}

void inject_fault(sqlite3* db, const std::string& path, FaultPoint point) {
  FaultPlan& plan = fault_plan();
  if (plan.rules.empty())
    return;
  const auto index = static_cast<std::size_t>(point);
  const std::int64_t occurrence = ++plan.reached[index];
  for (const FaultRule& rule : plan.rules) {
    if (rule.point != index || (rule.occurrence != 0 && rule.occurrence != occurrence))
      continue;
    switch (rule.action) {
      case FaultAction::kill:
        std::raise(SIGKILL);
        break;
      case FaultAction::sleep: {
        // One nanosleep, not resumed when a signal interrupts it: a test parks the process here
        // and signals it (tests/run/interrupt.sh), which then handles the signal at once.
        timespec pause{rule.sleep_ms / 1000, (rule.sleep_ms % 1000) * 1'000'000L};
        ::nanosleep(&pause, nullptr);
        break;
      }
      case FaultAction::full: {
        const std::string limit =
            "PRAGMA max_page_count = " + std::to_string(query_int(db, path, "PRAGMA page_count"));
        exec(db, path, limit.c_str());
        break;
      }
      case FaultAction::touch:
        touch_file(rule, occurrence);
        break;
      case FaultAction::wait:
        wait_for_file(rule, occurrence);
        break;
    }
  }
}

void wait_when_busy(sqlite3* db) {
  if (fault_plan().acts_at(FaultPoint::lock_busy))
    sqlite3_busy_handler(db, &busy_with_fault_point, nullptr);
  else
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
}

}  // namespace kcube::store_detail
