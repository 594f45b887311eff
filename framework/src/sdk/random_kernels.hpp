// Private: the Box-Muller kernels of fill_normals() (kcube/random.hpp), one per instruction set.
// Each lives in its own file compiled for its target (framework/CMakeLists.txt) and includes no
// C++ library header but <cstddef> (types only), so no inline function compiled for AVX2 or AVX-512
// can be chosen by the linker for code that runs on a CPU without them.
#pragma once

#include <cstddef>

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

/// 2 pi as a double: theta = kTwoPi * u2 in every kernel (one rounding, the same everywhere).
inline constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace kcube::random_kernels
