#include "store/sqlite.hpp"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace kcube::store_detail {

namespace {

namespace fs = std::filesystem;

// Why a write may have failed for lack of space, which SQLite reports as SQLITE_FULL or, when
// the OS says EFBIG (the file size limit), as a mere I/O error: the store or its -wal file at the
// file size limit (RLIMIT_FSIZE, `ulimit -f`), or its disk without free space. Empty otherwise.
std::string lack_of_space(const std::string& path) {
  std::error_code ec;
  rlimit limit{};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    // A write that fails is at most a few pages (the WAL frame or the -shm index, 32 KiB).
    constexpr std::uintmax_t kLargestWrite = 64 * 1024;
    for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
      const std::uintmax_t size = fs::file_size(file, ec);
      if (!ec && size + kLargestWrite >= limit.rlim_cur) {
        return "it reached the file size limit of " + std::to_string(limit.rlim_cur) +
               " bytes set by ulimit -f";
      }
    }
  }
  fs::path dir = fs::path(path).parent_path();
  struct statvfs disk {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &disk) == 0) {
    const auto free = static_cast<std::uintmax_t>(disk.f_bavail) * disk.f_frsize;
    if (free < 1024 * 1024)
      return "its disk has " + std::to_string(free) + " bytes free";
  }
  return "";
}

// What to do about the failure SQLite last reported on `db`, for the failures a user can fix: a
// full disk or file size limit, another I/O error, read-only files. Empty for any other failure.
std::string failure_advice(sqlite3* db, const std::string& path) {
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  if (primary == SQLITE_READONLY) {
    return "; the store or its -wal and -shm files are read-only for this user: make '" + path +
           "', those files and its folder writable (or remove -wal and -shm files another user "
           "left while nobody uses the store), or write to another store with --store";
  }
  if (primary != SQLITE_FULL && primary != SQLITE_IOERR)
    return "";
  const std::string intact =
      "; the store is intact: every finished run and cell stays, a cell being written is not "
      "stored. Then run the command again; `kcube run MANIFEST --resume` (same --set options) "
      "continues an unfinished run";
  const std::string space = lack_of_space(path);
  if (primary == SQLITE_FULL || !space.empty()) {
    return "; the disk or the file is full" + (space.empty() ? "" : " (" + space + ")") +
           ": free space on the disk of '" + path +
           "', or raise the file size limit (ulimit -f) or the disk quota" + intact;
  }
  // SQLite's errno is the OS's last one, which later calls may have changed: a hint only.
  const int os_error = sqlite3_system_errno(db);
  return "; reading or writing the file failed" +
         (os_error != 0 ? " (last OS error: " + std::string(std::strerror(os_error)) + ")" : "") +
         ": check the disk of '" + path + "' (free space, file size limit, errors)" + intact;
}

}  // namespace

std::string failure_message(sqlite3* db, const std::string& path, std::string_view doing,
                            const char* sql) {
  std::string message =
      "results store '" + path + "': " + std::string(doing) + " failed: " + sqlite3_errmsg(db);
  const std::string advice = failure_advice(db, path);
  if (!advice.empty())
    return message + advice;
  return sql != nullptr ? message + " (in: " + sql + ")" : message;
}

[[noreturn]] void sqlite_failure(sqlite3* db, const std::string& path, std::string_view doing) {
  throw RuntimeFailure(failure_message(db, path, doing));
}

void exec(sqlite3* db, const std::string& path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    // A migration is many lines: its first statement names it well enough.
    const std::string_view text = text::trim(sql);
    const std::string_view first = text.substr(0, std::min(text.find(";\n"), text.size()));
    sqlite_failure(db, path,
                   "'" + std::string(first) + (first.size() < text.size() ? "; ...'" : "'"));
  }
}

std::int64_t query_int(sqlite3* db, const std::string& path, const char* sql) {
  Statement s(db, path, sql);
  return s.step() ? s.int_at(0) : 0;
}

}  // namespace kcube::store_detail
