// RandomStream's normals: every SIMD target this CPU has gives the same bits, the sequences are
// pure functions of their index, and KCUBE_SIMD's names are checked.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "kcube/error.hpp"
#include "kcube/random.hpp"
#include "run_cli.hpp"

namespace {

using kcube::RandomStream;
using kcube::SimdTarget;

std::vector<double> normals_of(SimdTarget target, std::uint64_t seed, std::uint64_t cell,
                               std::uint64_t trial, std::uint64_t substream, std::uint64_t first,
                               std::size_t count) {
  std::vector<double> out(count);
  kcube::fill_normals(target, seed, cell, trial, substream, first, out);
  return out;
}

/// The first normals of RandomStream(1, 2, 3, 4): 1.3990609096747688, 0.53019554348416265 and
/// -1.2490371886178915 (engine version 2).
constexpr std::uint64_t kPinnedZ0 = 0x3ff6628db142a46cULL;
constexpr std::uint64_t kPinnedZ1 = 0x3fe0f75ca4f7fb49ULL;
constexpr std::uint64_t kPinnedZ2 = 0xbff3fc0e6b49a044ULL;

/// Bitwise equality: a NaN or a -0 versus +0 difference would fail it too.
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i]))
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("random: the targets of this CPU start with portable and include the one in use") {
  const std::vector<SimdTarget> targets = kcube::supported_simd_targets();
  REQUIRE(!targets.empty());
  CHECK(targets.front() == SimdTarget::portable);
  CHECK(kcube::simd_target() == targets.back());
  MESSAGE("SIMD targets of this CPU: " << targets.size()
                                       << ", in use: " << kcube::to_string(kcube::simd_target()));
}

TEST_CASE("random: every target gives bit-identical normals for many streams") {
  const std::vector<SimdTarget> targets = kcube::supported_simd_targets();
  std::size_t compared = 0;
  for (std::uint64_t seed : {0ULL, 1ULL, 20240611ULL, 0xFFFFFFFFFFFFFFFFULL}) {
    for (std::uint64_t cell = 0; cell < 4; ++cell) {
      for (std::uint64_t trial : {0ULL, 1ULL, 999ULL, 1ULL << 40}) {
        for (std::uint64_t substream = 0; substream < 3; ++substream) {
          const std::vector<double> reference =
              normals_of(SimdTarget::portable, seed, cell, trial, substream, 0, 100);
          for (const SimdTarget target : targets) {
            CAPTURE(kcube::to_string(target));
            CHECK(same_bits(normals_of(target, seed, cell, trial, substream, 0, 100), reference));
            ++compared;
          }
        }
      }
    }
  }
  CHECK(compared == 192 * targets.size());
}

TEST_CASE("random: every target gives bit-identical normals over a long sequence") {
  // 10^6 normals of one stream: 250,000 Philox blocks, so the uniforms reach both ends of (0, 1)
  // (the smallest u1 about 1e-6, where ln u1 is large).
  const std::vector<double> reference = normals_of(SimdTarget::portable, 7, 3, 11, 0, 0, 1'000'000);
  for (const SimdTarget target : kcube::supported_simd_targets()) {
    CAPTURE(kcube::to_string(target));
    CHECK(same_bits(normals_of(target, 7, 3, 11, 0, 0, 1'000'000), reference));
  }
}

TEST_CASE("random: a normal depends on its index only and not on how it was buffered") {
  const std::vector<double> all = normals_of(SimdTarget::portable, 5, 6, 7, 8, 0, 300);
  for (const SimdTarget target : kcube::supported_simd_targets()) {
    CAPTURE(kcube::to_string(target));
    // Any start and any length, aligned to a Philox block or not.
    for (std::size_t first : {0U, 1U, 2U, 3U, 4U, 5U, 31U, 32U, 33U, 100U}) {
      for (std::size_t count : {1U, 2U, 3U, 4U, 7U, 32U, 33U, 65U, 150U}) {
        const std::vector<double> part = normals_of(target, 5, 6, 7, 8, first, count);
        CHECK(same_bits(
            part, std::vector<double>(all.begin() + static_cast<std::ptrdiff_t>(first),
                                      all.begin() + static_cast<std::ptrdiff_t>(first + count))));
      }
    }
  }
  // RandomStream's blocks (4 first, then 32) give the same sequence.
  RandomStream stream(5, 6, 7, 8);
  std::vector<double> drawn(all.size());
  for (double& z : drawn)
    z = stream.normal();
  CHECK(same_bits(drawn, all));
}

TEST_CASE("random: RandomStream draws the same normals whichever target is in use") {
  const SimdTarget in_use = kcube::simd_target();
  std::vector<std::vector<double>> by_target;
  for (const SimdTarget target : kcube::supported_simd_targets()) {
    kcube::set_simd_target(target);
    CHECK(kcube::simd_target() == target);
    RandomStream stream(42, 1, 2, 3);
    std::vector<double> drawn(1000);
    for (double& z : drawn)
      z = stream.normal();
    by_target.push_back(drawn);
  }
  kcube::set_simd_target(in_use);
  for (const std::vector<double>& drawn : by_target)
    CHECK(same_bits(drawn, by_target.front()));
}

TEST_CASE("random: the first normals of a stream are pinned") {
  // Pinned values of the normal sequence (engine version 2): a change of the generator, the
  // counter layout or the transform changes them and must bump kEngineVersion.
  RandomStream stream(1, 2, 3, 4);
  const double z0 = stream.normal();
  const double z1 = stream.normal();
  const double z2 = stream.normal();
  CHECK(std::bit_cast<std::uint64_t>(z0) == kPinnedZ0);
  CHECK(std::bit_cast<std::uint64_t>(z1) == kPinnedZ1);
  CHECK(std::bit_cast<std::uint64_t>(z2) == kPinnedZ2);
}

TEST_CASE("random: KCUBE_SIMD names are checked and errors list the targets of this CPU") {
  CHECK(kcube::parse_simd_target("portable") == SimdTarget::portable);
  CHECK(kcube::parse_simd_target("auto") == kcube::supported_simd_targets().back());
  try {
    (void)kcube::parse_simd_target("sse9");
    FAIL("an unknown name was accepted");
  } catch (const kcube::Error& e) {
    const std::string message = e.what();
    CHECK(message.find("KCUBE_SIMD=sse9: unknown SIMD target") != std::string::npos);
    CHECK(message.find("this CPU has portable") != std::string::npos);
  }
  for (const SimdTarget target : {SimdTarget::avx2, SimdTarget::avx512}) {
    const std::vector<SimdTarget> targets = kcube::supported_simd_targets();
    const bool has = std::find(targets.begin(), targets.end(), target) != targets.end();
    if (has) {
      CHECK(kcube::parse_simd_target(kcube::to_string(target)) == target);
    } else {
      CHECK_THROWS_WITH_AS(kcube::set_simd_target(target),
                           doctest::Contains("this CPU lacks the SIMD target"), kcube::Error);
    }
  }
}

TEST_CASE("random: kcube --version names the SIMD target and KCUBE_SIMD forces or refuses one") {
  const kcube::test::CliResult version = kcube::test::run_cli("--version");
  CHECK(version.exit_code == 0);
  const std::string best(kcube::to_string(kcube::supported_simd_targets().back()));
  CHECK(version.out.find(", SIMD " + best + ")") != std::string::npos);
  const kcube::test::CliResult portable =
      kcube::test::run_cli("--version", "", "KCUBE_SIMD=portable");
  CHECK(portable.exit_code == 0);
  CHECK(portable.out.find(", SIMD portable)") != std::string::npos);
  const kcube::test::CliResult unknown = kcube::test::run_cli("--version", "", "KCUBE_SIMD=sse9");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("KCUBE_SIMD=sse9: unknown SIMD target; use auto, avx512, avx2 or "
                         "portable (this CPU has portable") != std::string::npos);
}
