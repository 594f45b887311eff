// Private: what a run may take from the machine. Threads: one rule for `kcube run --threads`,
// `kcube simulate --threads` and the manifest's `run.threads`, and a probe that the team can
// start. Memory: the sizes `--memory-limit` accepts, its default, and the check of a cell's
// estimate (simulation_memory_bytes, engine.hpp) against it.
//
// Test hook: KCUBE_FAULT_THREAD_START=N (an integer >= 0) makes check_threads_start behave as if
// the system let it start only N threads besides the caller: creating the next fails with
// EAGAIN, as pthread_create does when a process or user is out of threads (RLIMIT_NPROC, the
// cgroup's pids.max) or memory for their stacks. Tests use it because those limits do not apply
// to root and differ between machines; like KCUBE_FAULT_INJECTION (faults.hpp), it is read once
// per process and never set outside tests. A malformed value is a kcube::Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kcube {

/// The most OpenMP threads kcube runs a cell on (`--threads`, `run.threads`).
inline constexpr int kMaxThreads = 1024;

/// A thread count as the user wrote it.
struct ThreadCount {
  /// 1 to kMaxThreads, or 0 for "auto" (resolve_threads says what it stands for).
  int threads = 0;
  /// What is wrong with the text, e.g. "must be 'auto' or an integer in [1, 1024], got 0";
  /// empty when it is a valid count. The caller adds where it was written.
  std::string problem;
};

/// The one rule for thread counts: "auto" or a whole number from 1 to kMaxThreads.
ThreadCount parse_thread_count(std::string_view text);

/// The threads `threads` stands for: 0 ("auto") is OpenMP's default (the hardware threads, or
/// OMP_NUM_THREADS when set), at most kMaxThreads; any other count is returned as it is.
int resolve_threads(int threads);

/// Checks that a team of `threads` can run: starts threads - 1 threads with the default
/// attributes (the stack size libgomp uses too), all alive at once, and joins them. libgomp
/// ends the process with exit(1) when it cannot create its team, so callers probe before
/// anything is written. Throws kcube::Error "cannot start N threads: <reason>; <how_to_lower>"
/// when one cannot be created.
void check_threads_start(int threads, std::string_view how_to_lower);

/// Parses a memory size: a whole number of bytes, or one followed by K, M, G or T (powers of
/// 1024, either case, optionally followed by "B" or "iB"): "4G", "512M", "1073741824". Throws
/// kcube::Error naming `option` (e.g. "--memory-limit") when the text is not a size or is 0.
std::uint64_t parse_memory_size(std::string_view text, std::string_view option);

/// Physical memory (bytes), lowered to the memory cgroup's limit when one is set (cgroup v2
/// memory.max, v1 memory.limit_in_bytes, of this process's cgroup and its parents).
std::uint64_t available_memory();

/// What `--memory-limit` is when not given: half of available_memory(), leaving the rest to
/// the system and to the store's writes.
std::uint64_t default_memory_limit();

/// Throws kcube::Error "<what> needs about <bytes> of memory, more than the memory limit of
/// <limit> ...; lower run.trials or --threads, or raise --memory-limit" when bytes > limit.
/// `what` names the work, e.g. "kcube run: the cell of profile 'p' and scenario 's' (2000000
/// trials, 48 threads)".
void check_memory_limit(std::uint64_t bytes, std::uint64_t limit, std::string_view what);

/// Bytes for people: "512 B", "1.5 KiB", "213.6 MiB", "3.0 GiB".
std::string format_bytes(std::uint64_t bytes);

/// The message of the exception being handled, for a cell or command that failed while
/// `doing` something (e.g. "model profile 'gaussian' (/p.so), draw_path"): for std::bad_alloc
/// "out of memory while <doing>; lower run.trials or --threads, or free memory" rather than
/// "std::bad_alloc", otherwise the exception's own message. Call only inside a catch block.
std::string failure_text(std::string_view doing);

}  // namespace kcube
