// The results store: the free functions of store.hpp (run context, process identity, cell keys)
// and ResultStore's small methods. The rest of it: schema.cpp (opening, migrations), write.cpp,
// read.cpp, export.cpp, merge.cpp; sqlite.hpp (SQLite's C API), faults.hpp (the test hook).
#include "store/store.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "kcube/error.hpp"
#include "store/internal.hpp"
#include "store/sqlite.hpp"
#include "util/text.hpp"

namespace kcube {

UnstorableCell::~UnstorableCell() = default;

namespace {

namespace fs = std::filesystem;

}  // namespace

// ---- free functions ----

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

bool depends_on_engine(Evaluator evaluator) {
  return evaluator != Evaluator::exact;
}

std::string engine_version_summary(int version, const std::map<int, std::string>& known) {
  if (const auto it = known.find(version); it != known.end())
    return it->second;
  if (version >= 1 && static_cast<std::size_t>(version) <= kEngineVersionHistory.size())
    return std::string(kEngineVersionHistory[static_cast<std::size_t>(version) - 1]);
  return "unknown to this kcube (engine " + std::to_string(kEngineVersion) +
         "): a newer kcube made it";
}

RunContext capture_run_context(std::string_view build_type) {
  RunContext context;
  context.started_at = utc_now_iso8601();
#ifdef KCUBE_VERSION
  context.kcube_version = KCUBE_VERSION;
#endif
#ifdef KCUBE_GIT_REVISION
  context.git_revision = KCUBE_GIT_REVISION;
#endif
  context.compiler = compiler();
  context.build_type = std::string(build_type);
  context.host = host_name();
  context.writer = this_process();
  return context;
}

namespace {

// The first line of a small file of /proc; empty when it cannot be read.
std::string first_line(const char* path) {
  std::FILE* file = std::fopen(path, "r");
  if (file == nullptr)
    return "";
  char buffer[128] = {};
  const bool read = std::fgets(buffer, sizeof buffer, file) != nullptr;
  std::fclose(file);
  std::string line = read ? buffer : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == ' '))
    line.pop_back();
  return line;
}

// Field 22 of /proc/PID/stat (starttime, clock ticks after boot); empty when unreadable. The
// command name (field 2) is in parentheses and may hold spaces and ')': fields are counted from
// the last ')'.
std::string start_ticks(std::int64_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr)
    return "";
  char buffer[1024] = {};
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  const std::string_view stat(buffer, n);
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos)
    return "";
  std::istringstream fields{std::string(stat.substr(close + 1))};
  std::string field;
  for (int number = 3; number <= 22; ++number) {
    if (!(fields >> field))
      return "";
  }
  return field;
}

// "BOOT_ID PID_NAMESPACE": what, besides a process id and start time, tells one process from
// another; empty when unknown.
std::string boot_and_namespace() {
  const std::string boot = first_line("/proc/sys/kernel/random/boot_id");
  std::error_code ec;
  const fs::path ns = fs::read_symlink("/proc/self/ns/pid", ec);
  if (boot.empty() || ec)
    return "";
  return boot + " " + ns.string();
}

}  // namespace

ProcessIdentity this_process() {
  ProcessIdentity me;
  me.host = host_name();
  me.pid = ::getpid();
  const std::string where = boot_and_namespace();
  const std::string ticks = start_ticks(me.pid);
  if (!where.empty() && !ticks.empty())
    me.start = where + " " + ticks;
  return me;
}

namespace {

/// Whether `process` runs now, as far as this process can tell.
enum class Liveness { alive, gone, unknown };

Liveness liveness(const ProcessIdentity& process) {
  if (process.pid <= 0 || process.host.empty() || process.host != host_name())
    return Liveness::unknown;
  const std::string here = boot_and_namespace();
  if (!process.start.empty() && !here.empty()) {
    const std::size_t last = process.start.rfind(' ');
    const std::string where = process.start.substr(0, last);
    const std::size_t boot_end = process.start.find(' ');
    // Another boot of this host: every process of that boot has ended.
    if (process.start.substr(0, boot_end) != here.substr(0, here.find(' ')))
      return Liveness::gone;
    // Another PID namespace (a container sharing the host name): its ids mean nothing here.
    if (where != here)
      return Liveness::unknown;
  }
  if (::kill(static_cast<pid_t>(process.pid), 0) != 0 && errno == ESRCH)
    return Liveness::gone;
  if (process.start.empty())
    return Liveness::unknown;  // a process has that id, perhaps another one
  const std::string ticks = start_ticks(process.pid);
  if (ticks.empty())
    return Liveness::unknown;
  return ticks == process.start.substr(process.start.rfind(' ') + 1) ? Liveness::alive
                                                                     : Liveness::gone;
}

}  // namespace

bool process_gone(const ProcessIdentity& process) {
  return liveness(process) == Liveness::gone;
}

bool process_alive(const ProcessIdentity& process) {
  return liveness(process) == Liveness::alive;
}

std::string canonical_overrides(std::vector<std::string> overrides) {
  std::sort(overrides.begin(), overrides.end());
  return text::join(overrides, "\n");
}

std::string cell_key(std::string_view profile, std::string_view scenario,
                     std::string_view aggregator, std::string_view sweep, int replication) {
  std::string key = std::string(profile) + "|" + std::string(scenario) + "|" + std::string(sweep) +
                    "|" + std::to_string(replication);
  if (aggregator != kDefaultAggregator)
    key += "|" + std::string(aggregator);
  return key;
}

std::string CellResult::key() const {
  return cell_key(profile, scenario, aggregator, sweep, replication);
}

std::string_view to_string(RunStatus status) noexcept {
  switch (status) {
    case RunStatus::running:
      return "running";
    case RunStatus::finished:
      return "finished";
    case RunStatus::failed:
      return "failed";
    case RunStatus::interrupted:
      return "interrupted";
  }
  return "running";
}

bool store_writable(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty())
    dir = ".";
  return ::access(path.c_str(), W_OK) == 0 && ::access(dir.c_str(), W_OK) == 0;
}

std::string_view to_string(CellStatus status) noexcept {
  return status == CellStatus::error ? "error" : "finished";
}

// ---- ResultStore ----

// The store's private helpers (store/internal.hpp) by their short names.
using namespace store_detail;

std::int64_t ResultStore::Impl::resolve_run(std::optional<std::int64_t> run) {
  if (run) {
    require_run(*run);
    return *run;
  }
  const std::int64_t newest = query_int(handle(), path, "SELECT coalesce(max(id), 0) FROM runs");
  if (newest == 0)
    throw Error("results store '" + path + "' has no runs yet; run an experiment first");
  return newest;
}

Statement& ResultStore::Impl::reused(const char* sql) {
  auto& kept = statements[sql];
  if (!kept)
    kept = std::make_unique<Statement>(handle(), path, sql);
  kept->reset();
  return *kept;
}

void ResultStore::Impl::require_run(std::int64_t run) {
  const Reused s(reused("SELECT 1 FROM runs WHERE id = ?1"));
  s->bind_int(1, run);
  if (!s->step()) {
    throw Error("results store '" + path + "' has no run " + std::to_string(run) +
                "; its runs are:" + list_runs(handle(), path));
  }
}

ResultStore::ResultStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResultStore::ResultStore(ResultStore&&) noexcept = default;
ResultStore& ResultStore::operator=(ResultStore&&) noexcept = default;
ResultStore::~ResultStore() = default;

const std::string& ResultStore::path() const {
  return impl_->path;
}

}  // namespace kcube
