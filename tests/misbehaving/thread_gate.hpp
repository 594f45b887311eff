// Shared by the misbehaving tests and fixtures: makes sure that one OpenMP thread of a parallel
// team gets trials, by explicit synchronisation rather than by time.
#pragma once

#include <omp.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace fixture {

/// Lets OpenMP thread `target` go first: the team's other threads call hold() and wait there
/// until the target has called arrive(). The engine hands out chunks of trials one at a time
/// (schedule(dynamic, 1)), so while the others are held the target takes the next chunk and
/// arrives, however the threads are scheduled. hold() returns at once outside a team that has
/// the target (a serial call, a smaller team; no target: -1), where nobody would arrive. After 60 s
/// it stops waiting: a guard against a hang, not a timing (the target normally arrives in
/// microseconds); gave_up() then says so.
class ThreadGate {
 public:
  explicit ThreadGate(int target) : target_(target) {}

  /// Whether the calling thread is the target.
  bool is_target() const { return omp_get_thread_num() == target_; }
  /// The target has arrived: held threads go on, and later ones are not held.
  void arrive() const { arrived_.store(true); }
  /// Waits until the target has arrived, if it is in the calling thread's team.
  void hold() const {
    if (arrived_.load() || target_ < 0 || target_ >= omp_get_num_threads())
      return;
    const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!arrived_.load()) {
      if (std::chrono::steady_clock::now() > guard) {
        gave_up_.store(true);
        return;
      }
      std::this_thread::yield();
    }
  }
  /// Whether the target has arrived.
  bool arrived() const { return arrived_.load(); }
  /// Whether a held thread stopped waiting after 60 s without the target.
  bool gave_up() const { return gave_up_.load(); }

 private:
  int target_;
  mutable std::atomic<bool> arrived_{false};
  mutable std::atomic<bool> gave_up_{false};
};

}  // namespace fixture
