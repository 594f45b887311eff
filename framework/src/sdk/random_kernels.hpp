// Private: the Box-Muller kernels of fill_normals() (kcube/random.hpp), one per instruction set.
// Each lives in its own file compiled for its target (framework/CMakeLists.txt) and includes no
// C++ library header but <cstddef> and <cstdint> (types only), so no inline function compiled for
// AVX2 or AVX-512 can be chosen by the linker for code that runs on a CPU without them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kcube::random_kernels {

/// For each pair i < pairs: r = sqrt(-2 ln u1[i]), theta = 2 pi u2[i], cosines[i] = r cos(theta)
/// and sines[i] = r sin(theta), with SLEEF's finz log and sincos (1.0 ULP, bit-identical across
/// the three kernels). u1 and u2 lie in (0, 1).
using BoxMuller = void (*)(const double* u1, const double* u2, double* cosines, double* sines,
                           std::size_t pairs);

void box_muller_portable(const double* u1, const double* u2, double* cosines, double* sines,
                         std::size_t pairs);
void box_muller_avx2(const double* u1, const double* u2, double* cosines, double* sines,
                     std::size_t pairs);
void box_muller_avx512(const double* u1, const double* u2, double* cosines, double* sines,
                       std::size_t pairs);

/// The 32 normals of the Philox4x64-10 blocks block, ..., block + 7 of the counter
/// (c0, block + i, c2, c3) under the key (k0, k1): block i's words w0, w1, w2, w3 give the pairs
/// (u(w0), u(w1)) and (u(w2), u(w3)) with u(w) = ((w >> 11) + 1/2) 2^-53 (kcube::uniform_of_bits),
/// whose normals, as box_muller() makes them, are out[4i], out[4i + 1] (the first pair's cosine
/// and sine) and out[4i + 2], out[4i + 3]. Random123's Philox4x64-10 computed several blocks at a
/// time, its 64 x 64-bit products from 32 x 32-bit ones: the same integers, so the same normals as
/// Random123's words through box_muller_portable().
using Normals32 = void (*)(std::uint64_t k0, std::uint64_t k1, std::uint64_t c0,
                           std::uint64_t block, std::uint64_t c2, std::uint64_t c3, double* out);

void normals32_avx2(std::uint64_t k0, std::uint64_t k1, std::uint64_t c0, std::uint64_t block,
                    std::uint64_t c2, std::uint64_t c3, double* out);
void normals32_avx512(std::uint64_t k0, std::uint64_t k1, std::uint64_t c0, std::uint64_t block,
                      std::uint64_t c2, std::uint64_t c3, double* out);

/// Philox4x64's constants (Random123's PHILOX_M4x64_0, _1 and PHILOX_W64_0, _1).
inline constexpr std::uint64_t kPhiloxM0 = 0xD2E7470EE14C6C93ULL;
inline constexpr std::uint64_t kPhiloxM1 = 0xCA5A826395121157ULL;
inline constexpr std::uint64_t kPhiloxW0 = 0x9E3779B97F4A7C15ULL;
inline constexpr std::uint64_t kPhiloxW1 = 0xBB67AE8584CAA73BULL;
inline constexpr int kPhiloxRounds = 10;

/// 2 pi as a double: theta = kTwoPi * u2 in every kernel (one rounding, the same everywhere).
inline constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace kcube::random_kernels
