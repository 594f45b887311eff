// kcube SDK: the normal sequence of RandomStream (kcube/random.hpp) and the choice of the SIMD
// target that computes it.
#include "kcube/random.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "kcube/error.hpp"
#include "sdk/random_kernels.hpp"

namespace kcube {

namespace {

// The normal sequence's Philox counter word 3 (the uniforms' is 0).
constexpr std::uint64_t kNormalSequence = 1;
// Normals one kernel call makes at most: 8 Philox blocks, 16 pairs.
constexpr std::size_t kChunk = 32;

bool cpu_has(SimdTarget target) noexcept {
  switch (target) {
    case SimdTarget::portable:
      return true;
    case SimdTarget::avx2:
      // SLEEF's AVX2 functions use FMA instructions too.
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdTarget::avx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
}

constexpr std::array<SimdTarget, 3> kAllTargets = {SimdTarget::portable, SimdTarget::avx2,
                                                   SimdTarget::avx512};

std::string supported_names() {
  std::string names;
  for (const SimdTarget target : supported_simd_targets())
    names += (names.empty() ? "" : ", ") + std::string(to_string(target));
  return names;
}

// A target's kernels: Box-Muller on given uniforms, and whole chunks of kChunk normals from the
// Philox blocks on (nullptr for portable: Random123's scalar Philox, then box_muller).
struct Kernels {
  random_kernels::BoxMuller box_muller;
  random_kernels::Normals32 normals32;
};

Kernels kernel_of(SimdTarget target) noexcept {
  switch (target) {
    case SimdTarget::avx512:
      return {random_kernels::box_muller_avx512, random_kernels::normals32_avx512};
    case SimdTarget::avx2:
      return {random_kernels::box_muller_avx2, random_kernels::normals32_avx2};
    case SimdTarget::portable:
      break;
  }
  return {random_kernels::box_muller_portable, nullptr};
}

void require_cpu_has(SimdTarget target, std::string_view asked_by) {
  if (!cpu_has(target))
    throw Error(std::string(asked_by) + ": this CPU lacks the SIMD target '" +
                std::string(to_string(target)) + "'; it has " + supported_names());
}

// The target in use: set by set_simd_target() or, on the first simd_target(), from KCUBE_SIMD.
// An atomic, since threads read it while drawing; -1 = not chosen yet.
std::atomic<int> chosen_target{-1};
std::mutex choose_mutex;

static_assert(kChunk == 32, "random_kernels::Normals32 makes chunks of 32 normals");

// Normals 4 * block .. 4 * block + count - 1 (count a multiple of 4, at most kChunk) into out.
// A whole chunk from the target's Philox lanes when it has them; shorter ones (a stream's first
// normals) with Random123's scalar blocks, which cost less than a vector of unused lanes.
void fill_chunk(const Kernels& kernel, const r123::Philox4x64::key_type& key, std::uint64_t trial,
                std::uint64_t substream, std::uint64_t block, double* out, std::size_t count) {
  if (count == kChunk && kernel.normals32 != nullptr) {
    kernel.normals32(key[0], key[1], trial, block, substream, kNormalSequence, out);
    return;
  }
  constexpr std::size_t kPairs = kChunk / 2;
  double u1[kPairs] = {}, u2[kPairs] = {}, cosines[kPairs], sines[kPairs];
  const std::size_t pairs = count / 2;
  r123::Philox4x64::ctr_type counter = {{trial, block, substream, kNormalSequence}};
  const r123::Philox4x64 philox;
  for (std::size_t pair = 0; pair < pairs; pair += 2) {
    const r123::Philox4x64::ctr_type words = philox(counter, key);
    ++counter[1];
    u1[pair] = uniform_of_bits(words[0]);
    u2[pair] = uniform_of_bits(words[1]);
    u1[pair + 1] = uniform_of_bits(words[2]);
    u2[pair + 1] = uniform_of_bits(words[3]);
  }
  kernel.box_muller(u1, u2, cosines, sines, pairs);
  for (std::size_t pair = 0; pair < pairs; ++pair) {
    out[2 * pair] = cosines[pair];
    out[2 * pair + 1] = sines[pair];
  }
}

void fill_with(const Kernels& kernel, std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
               std::uint64_t substream, std::uint64_t first, std::span<double> out) {
  const r123::Philox4x64::key_type key = {{seed, cell}};
  // Whole Philox blocks from the one holding `first`; the normals before `first` in it and after
  // the last wanted one are made and dropped, so any (first, size) gives the same values.
  std::uint64_t block = first / 4;
  std::size_t skip = static_cast<std::size_t>(first % 4);
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t wanted = out.size() - done;
    if (skip == 0 && wanted % 4 == 0 && wanted <= kChunk) {
      fill_chunk(kernel, key, trial, substream, block, out.data() + done, wanted);
      return;
    }
    if (skip == 0 && wanted >= kChunk) {
      fill_chunk(kernel, key, trial, substream, block, out.data() + done, kChunk);
      block += kChunk / 4;
      done += kChunk;
      continue;
    }
    double chunk[kChunk];
    const std::size_t count = std::min(kChunk, (skip + wanted + 3) / 4 * 4);
    fill_chunk(kernel, key, trial, substream, block, chunk, count);
    const std::size_t used = std::min(count - skip, wanted);
    std::copy_n(chunk + skip, used, out.data() + done);
    block += count / 4;
    done += used;
    skip = 0;
  }
}

}  // namespace

std::string_view to_string(SimdTarget target) noexcept {
  switch (target) {
    case SimdTarget::portable:
      return "portable";
    case SimdTarget::avx2:
      return "avx2";
    case SimdTarget::avx512:
      return "avx512";
  }
  return "unknown";
}

std::vector<SimdTarget> supported_simd_targets() {
  std::vector<SimdTarget> targets;
  for (const SimdTarget target : kAllTargets) {
    if (cpu_has(target))
      targets.push_back(target);
  }
  return targets;
}

SimdTarget parse_simd_target(std::string_view name) {
  if (name == "auto")
    return supported_simd_targets().back();
  for (const SimdTarget target : kAllTargets) {
    if (name == to_string(target)) {
      require_cpu_has(target, "KCUBE_SIMD=" + std::string(name));
      return target;
    }
  }
  throw Error("KCUBE_SIMD=" + std::string(name) +
              ": unknown SIMD target; use auto, avx512, avx2 or portable (this CPU has " +
              supported_names() + ")");
}

SimdTarget simd_target() {
  const int chosen = chosen_target.load(std::memory_order_acquire);
  if (chosen >= 0)
    return static_cast<SimdTarget>(chosen);
  const std::lock_guard<std::mutex> lock(choose_mutex);
  if (chosen_target.load(std::memory_order_acquire) < 0) {
    const char* env = std::getenv("KCUBE_SIMD");
    // An invalid KCUBE_SIMD throws here and is read again on the next call: it never falls back.
    const SimdTarget target =
        env != nullptr && *env != '\0' ? parse_simd_target(env) : supported_simd_targets().back();
    chosen_target.store(static_cast<int>(target), std::memory_order_release);
  }
  return static_cast<SimdTarget>(chosen_target.load(std::memory_order_acquire));
}

void set_simd_target(SimdTarget target) {
  require_cpu_has(target, "set_simd_target");
  const std::lock_guard<std::mutex> lock(choose_mutex);
  chosen_target.store(static_cast<int>(target), std::memory_order_release);
}

void fill_normals(std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
                  std::uint64_t substream, std::uint64_t first, std::span<double> out) {
  fill_with(kernel_of(simd_target()), seed, cell, trial, substream, first, out);
}

void fill_normals(SimdTarget target, std::uint64_t seed, std::uint64_t cell, std::uint64_t trial,
                  std::uint64_t substream, std::uint64_t first, std::span<double> out) {
  require_cpu_has(target, "fill_normals");
  fill_with(kernel_of(target), seed, cell, trial, substream, first, out);
}

}  // namespace kcube
