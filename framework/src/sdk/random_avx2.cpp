// Private: the AVX2 Box-Muller kernel (random_kernels.hpp), 4 lanes. Compiled with -mavx2 -mfma
// (framework/CMakeLists.txt); includes no C++ library header but
// <cstddef> (random_kernels.hpp says why).
#include <immintrin.h>
#include <sleef.h>

#include "sdk/random_kernels.hpp"

namespace kcube::random_kernels {

namespace {

constexpr std::size_t kLanes = 4;

void box_muller_4(const double* u1, const double* u2, double* cosines, double* sines) {
  const __m256d log_u1 = Sleef_finz_logd4_u10avx2(_mm256_loadu_pd(u1));
  const __m256d r = _mm256_sqrt_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), log_u1));
  const __m256d theta = _mm256_mul_pd(_mm256_set1_pd(kTwoPi), _mm256_loadu_pd(u2));
  const Sleef___m256d_2 sin_cos = Sleef_finz_sincosd4_u10avx2(theta);
  _mm256_storeu_pd(sines, _mm256_mul_pd(r, sin_cos.x));
  _mm256_storeu_pd(cosines, _mm256_mul_pd(r, sin_cos.y));
}

}  // namespace

void box_muller_avx2(const double* u1, const double* u2, double* cosines, double* sines,
                     std::size_t pairs) {
  std::size_t i = 0;
  for (; i + kLanes <= pairs; i += kLanes)
    box_muller_4(u1 + i, u2 + i, cosines + i, sines + i);
  if (i == pairs)
    return;
  // The last pairs, padded with u = 1/2 (a valid argument; its results are dropped).
  double pad_u1[kLanes], pad_u2[kLanes], pad_cos[kLanes], pad_sin[kLanes];
  for (std::size_t j = 0; j < kLanes; ++j) {
    pad_u1[j] = i + j < pairs ? u1[i + j] : 0.5;
    pad_u2[j] = i + j < pairs ? u2[i + j] : 0.5;
  }
  box_muller_4(pad_u1, pad_u2, pad_cos, pad_sin);
  for (std::size_t j = 0; i + j < pairs; ++j) {
    cosines[i + j] = pad_cos[j];
    sines[i + j] = pad_sin[j];
  }
}

}  // namespace kcube::random_kernels
