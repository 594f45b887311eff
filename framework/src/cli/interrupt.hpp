// Private: SIGINT and SIGTERM during `kcube run`. The handler only records the first signal in
// lock-free atomics (async-signal-safe); the run looks at the flag between cells, and the Monte
// Carlo engine between chunks of trials (without --cell-timeout). A second signal ends the
// process at once by its default action.
#pragma once

#include <signal.h>

#include <atomic>

namespace kcube::cli {

/// Raised by the first SIGINT or SIGTERM while InterruptHandlers live: run_experiment's stop flag.
const std::atomic<bool>& interrupted();
/// That signal's number, 0 when none came.
int interrupt_signal();

/// Handles SIGINT and SIGTERM while it lives (SA_RESTART: system calls such as SQLite's writes go
/// on), then restores the handlers it found. A signal ignored when kcube started stays ignored
/// (a shell ignores SIGINT in the background jobs of a script, nohup SIGHUP): whoever started
/// kcube asked for that.
class InterruptHandlers {
 public:
  InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;
  ~InterruptHandlers();

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace kcube::cli
