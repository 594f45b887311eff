// Peak memory of the engine does not grow with the thread count beyond a small buffer per
// thread, and running out of memory is a failure that says so. Measured deterministically: this
// test program replaces operator new and delete with ones that count the bytes held
// (malloc_usable_size of every block) and the peak, so the libkcube allocations of a simulation
// are seen exactly, whatever the timing of the threads; they can also refuse blocks above a
// size, as a machine out of memory would.
#include <doctest/doctest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "engine/engine.hpp"
#include "kcube/error.hpp"
#include "test_profiles.hpp"

namespace {

std::atomic<std::size_t> held{0};
std::atomic<std::size_t> peak{0};
std::atomic<std::size_t> refuse_above{~std::size_t{0}};

void* counted(std::size_t size) {
  if (size > refuse_above.load())
    throw std::bad_alloc();
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr)
    throw std::bad_alloc();
  const std::size_t now = held.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  std::size_t seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
  return p;
}

void uncounted(void* p) noexcept {
  if (p == nullptr)
    return;
  held.fetch_sub(malloc_usable_size(p));
  std::free(p);
}

// 20,000 trials (79 chunks of 256: every thread gets some) on k = 1..4, on `threads` threads;
// with exact quantiles unless `exact_quantile_bytes` is below the 1.9 MB they need.
kcube::SimulationResult simulate_on(int threads,
                                    std::size_t exact_quantile_bytes = std::size_t{1} << 30) {
  kcube::Deployment d;
  d.parallelism = 4;
  d.k_max = 4;
  d.k_step = 1;
  kcube::SimulationOptions o;
  o.trials = 20'000;
  o.threads = threads;
  o.exact_quantile_bytes = exact_quantile_bytes;
  const kcube::test::UniformProfile profile;
  return kcube::simulate(profile, 1, d, o);
}

// Bytes allocated at the peak of simulate_on(threads, ...), above what was held before it.
std::size_t peak_of_simulation(int threads,
                               std::size_t exact_quantile_bytes = std::size_t{1} << 30) {
  const std::size_t before = held.load();
  peak.store(before);
  (void)simulate_on(threads, exact_quantile_bytes);
  return peak.load() - before;
}

}  // namespace

void* operator new(std::size_t size) {
  return counted(size);
}
void* operator new[](std::size_t size) {
  return counted(size);
}
void operator delete(void* p) noexcept {
  uncounted(p);
}
void operator delete[](void* p) noexcept {
  uncounted(p);
}
void operator delete(void* p, std::size_t) noexcept {
  uncounted(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  uncounted(p);
}

TEST_CASE("peak memory of exact quantiles does not grow with threads beyond a small buffer each") {
  // The trials' values: 20,000 trials x 4 values of k x 3 metrics x 8 bytes = 1.9 MB, kept
  // once. A trials-long copy per thread (the old code) would add 160 kB per thread; a thread's
  // own buffers (a path of 4 outcomes, one trial's values) are a few hundred bytes.
  const std::size_t store = 20'000 * 12 * 8;
  const std::size_t one = peak_of_simulation(1);
  const std::size_t eight = peak_of_simulation(8);
  CAPTURE(one);
  CAPTURE(eight);
  CHECK(one >= store);
  CHECK(eight < one + 8 * 4096);
}

TEST_CASE("peak memory of histogram quantiles does not grow with threads beyond a small buffer") {
  // One block of 4 chunks of 256 trials in rows of 24 values (12 padded to 3 cache lines):
  // 196,608 bytes, the largest power of two of chunks within exact_quantile_bytes = 200,000;
  // and per column 4096 counts of 4 bytes and 2048 kept values of 8 bytes (384 kB in all),
  // shared by the threads. A thread's own buffers: its path and one trial's values (a few
  // hundred bytes). A histogram per thread (the old code) would add 196 kB each.
  const std::size_t shared = 12 * (4096 * 4 + 2048 * 8) + 4 * 256 * 24 * 8;
  const std::size_t one = peak_of_simulation(1, 200'000);
  const std::size_t eight = peak_of_simulation(8, 200'000);
  CAPTURE(one);
  CAPTURE(eight);
  CHECK(one >= shared);
  CHECK(one < 2 * shared);
  CHECK(eight < one + 8 * 4096);
  CHECK_FALSE(simulate_on(8, 200'000).exact_quantiles);
}

TEST_CASE("a simulation that runs out of memory fails saying so, not with a bare std::bad_alloc") {
  refuse_above.store(1 << 20);  // the 1.9 MB of trial values cannot be had
  std::string message;
  try {
    (void)simulate_on(2);
  } catch (const kcube::RuntimeFailure& e) {
    message = e.what();
  } catch (...) {
    message = "something else was thrown";
  }
  refuse_above.store(~std::size_t{0});
  CHECK(message.find("model profile 'uniform': out of memory while simulating 20000 trials on 2 "
                     "threads (about 1.8 MiB needed); lower run.trials or --threads") == 0);
}
