// Private: the AVX-512F Box-Muller kernel (random_kernels.hpp), 8 lanes. Compiled with -mavx512f
// alone (framework/CMakeLists.txt); includes no C++ library header but
// <cstddef> (random_kernels.hpp says why).
#include <immintrin.h>
#include <sleef.h>

#include "sdk/random_kernels.hpp"

namespace kcube::random_kernels {

namespace {

constexpr std::size_t kLanes = 8;

void box_muller_8(const double* u1, const double* u2, double* cosines, double* sines) {
  const __m512d log_u1 = Sleef_finz_logd8_u10avx512f(_mm512_loadu_pd(u1));
  // The zero-masked sqrt of all 8 lanes is _mm512_sqrt_pd, whose GCC 12 definition trips
  // -Wmaybe-uninitialized.
  const __m512d r = _mm512_maskz_sqrt_pd(0xFF, _mm512_mul_pd(_mm512_set1_pd(-2.0), log_u1));
  const __m512d theta = _mm512_mul_pd(_mm512_set1_pd(kTwoPi), _mm512_loadu_pd(u2));
  const Sleef___m512d_2 sin_cos = Sleef_finz_sincosd8_u10avx512f(theta);
  _mm512_storeu_pd(sines, _mm512_mul_pd(r, sin_cos.x));
  _mm512_storeu_pd(cosines, _mm512_mul_pd(r, sin_cos.y));
}

}  // namespace

void box_muller_avx512(const double* u1, const double* u2, double* cosines, double* sines,
                       std::size_t pairs) {
  std::size_t i = 0;
  for (; i + kLanes <= pairs; i += kLanes)
    box_muller_8(u1 + i, u2 + i, cosines + i, sines + i);
  if (i == pairs)
    return;
  // The last pairs, padded with u = 1/2 (a valid argument; its results are dropped).
  double pad_u1[kLanes], pad_u2[kLanes], pad_cos[kLanes], pad_sin[kLanes];
  for (std::size_t j = 0; j < kLanes; ++j) {
    pad_u1[j] = i + j < pairs ? u1[i + j] : 0.5;
    pad_u2[j] = i + j < pairs ? u2[i + j] : 0.5;
  }
  box_muller_8(pad_u1, pad_u2, pad_cos, pad_sin);
  for (std::size_t j = 0; i + j < pairs; ++j) {
    cosines[i + j] = pad_cos[j];
    sines[i + j] = pad_sin[j];
  }
}

}  // namespace kcube::random_kernels
