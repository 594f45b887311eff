// Private: plugin work under a deadline, for `kcube run --cell-timeout`.
//
// A call into a plugin cannot be interrupted safely inside the process: C++ has no way to stop a
// thread, and cancelling one (pthread_cancel, a signal) in the middle of foreign code would leave
// its locks, heap and the plugin's state in an unknown state. So the work of a cell runs on a
// worker thread and the caller waits for it with a deadline. When the deadline passes, the worker
// is abandoned: detached, its stop flag raised (it then makes no new plugin call once the current
// one returns, and the engine stops between chunks of trials), and never touched again; the next
// piece of work gets a fresh worker. An abandoned worker may still be running inside a plugin, so
// the process must neither unload plugin libraries nor destroy anything the work refers to: a
// command that abandoned work leaves with std::_Exit after flushing its output and closing its
// files (Watchdog::abandoned()).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include "host/plugin_host.hpp"
#include "kcube/plugin.hpp"

namespace kcube {

/// Thrown by WorkState::enter() in abandoned work: it unwinds the work before it calls another
/// plugin. Not a std::exception, so that nothing reports it as an error of its own.
struct WorkAbandoned {};

/// What a piece of work is calling now (for the timeout message), and its stop flag.
class WorkState {
 public:
  /// What work is doing before its first plugin call (a deadline may pass there too).
  static constexpr const char* kBeforeAnyCall = "kcube's own code, before its first plugin call";

  /// Records that the work is about to call `what` of `plugin` (e.g. "model profile 'gaussian'
  /// (/path.so), draw_path"); throws WorkAbandoned when the work was abandoned.
  void enter(const LoadedPlugin* plugin, std::string what) {
    if (stop_.load())
      throw WorkAbandoned{};
    const std::lock_guard lock(mutex_);
    what_ = std::move(what);
    plugin_ = plugin;
  }
  /// The last call entered (before the first, kBeforeAnyCall), and its plugin (may be nullptr).
  std::pair<std::string, const LoadedPlugin*> current() const {
    const std::lock_guard lock(mutex_);
    return {what_, plugin_};
  }
  /// Raised when the work is abandoned.
  const std::atomic<bool>& stop_flag() const { return stop_; }
  /// Raises the stop flag.
  void stop() { stop_.store(true); }

 private:
  mutable std::mutex mutex_;
  std::string what_ = kBeforeAnyCall;
  const LoadedPlugin* plugin_ = nullptr;
  std::atomic<bool> stop_{false};
};

/// Where work timed out.
struct TimedOut {
  /// WorkState::current() when the deadline passed.
  std::string where;
  /// The plugin it was calling, or nullptr.
  const LoadedPlugin* plugin = nullptr;
};

/// Runs work with an optional deadline (see the file comment).
class Watchdog {
 public:
  /// `timeout`: seconds (> 0); nullopt for none, and then work runs on the calling thread.
  explicit Watchdog(std::optional<double> timeout) : timeout_(timeout) {}

  /// The deadline, if any.
  std::optional<double> timeout() const { return timeout_; }

  /// Runs `work`; its result, or the TimedOut when the deadline passed first (the work is then
  /// abandoned). An exception thrown by `work` is rethrown here. Everything `work` refers to
  /// must outlive the process's last use of it: after a timeout, that is until std::_Exit.
  template <class Result>
  std::variant<Result, TimedOut> run(std::function<Result(WorkState&)> work);

  /// True once any work was abandoned: the process must end with std::_Exit, never by
  /// returning from main (which would unload plugin libraries under a running thread).
  bool abandoned() const { return abandoned_; }

 private:
  std::optional<double> timeout_;
  bool abandoned_ = false;
};

template <class Result>
std::variant<Result, TimedOut> Watchdog::run(std::function<Result(WorkState&)> work) {
  if (!timeout_) {
    WorkState state;
    return work(state);
  }
  // Shared by the caller and the worker: whichever lets go of it last destroys it, so an
  // abandoned worker never writes into freed memory.
  struct Job {
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    std::optional<Result> result;
    std::exception_ptr error;
    WorkState state;
  };
  auto job = std::make_shared<Job>();
  std::thread worker([job, work = std::move(work)] {
    std::optional<Result> result;
    std::exception_ptr error;
    try {
      result.emplace(work(job->state));
    } catch (const WorkAbandoned&) {  // nobody waits for this result any more
    } catch (...) {
      error = std::current_exception();
    }
    const std::lock_guard lock(job->mutex);
    job->result = std::move(result);
    job->error = error;
    job->done = true;
    job->finished.notify_all();
  });
  // Far deadlines are capped (about 30 years) so that the clock arithmetic cannot overflow.
  const auto limit = std::chrono::duration<double>(std::min(*timeout_, 1e9));
  std::unique_lock lock(job->mutex);
  if (!job->finished.wait_for(lock, limit, [&] { return job->done; })) {
    lock.unlock();
    job->state.stop();
    auto [where, plugin] = job->state.current();
    worker.detach();
    abandoned_ = true;
    return TimedOut{std::move(where), plugin};
  }
  lock.unlock();
  worker.join();
  if (job->error)
    std::rethrow_exception(job->error);
  return std::move(*job->result);
}

}  // namespace kcube
