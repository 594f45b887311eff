// Private: the AVX2 Box-Muller kernel (random_kernels.hpp), 4 lanes. Compiled with -mavx2 -mfma
// (framework/CMakeLists.txt); includes no C++ library header but
// <cstddef> and <cstdint> (random_kernels.hpp says why). Also the Philox blocks of normals32,
// 4 blocks in the 4 lanes of a vector.
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

// The high and low 64 bits of m x a in each lane, m = (m_hi, m_lo) 32-bit halves broadcast:
// four 32 x 32-bit products, exact, and their carries.
void mulhilo(__m256i a, __m256i m_hi, __m256i m_lo, __m256i& hi, __m256i& lo) {
  const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFFLL);
  const __m256i a_hi = _mm256_srli_epi64(a, 32);
  const __m256i ll = _mm256_mul_epu32(a, m_lo);
  const __m256i lh = _mm256_mul_epu32(a, m_hi);
  const __m256i hl = _mm256_mul_epu32(a_hi, m_lo);
  const __m256i hh = _mm256_mul_epu32(a_hi, m_hi);
  const __m256i mid =
      _mm256_add_epi64(_mm256_add_epi64(_mm256_srli_epi64(ll, 32), _mm256_and_si256(lh, low32)),
                       _mm256_and_si256(hl, low32));
  hi = _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(lh, 32)),
                        _mm256_add_epi64(_mm256_srli_epi64(hl, 32), _mm256_srli_epi64(mid, 32)));
  lo = _mm256_or_si256(_mm256_slli_epi64(mid, 32), _mm256_and_si256(ll, low32));
}

// uniform_of_bits() of each lane: (w >> 11) is below 2^53, converted exactly as its high 21 and
// low 32 bits (each by the 2^52 trick), then + 1/2 rounded as the scalar code rounds it. hi 2^32 is
// exact, so a fused multiply-add of it gives the same sum.
__m256d uniforms(__m256i w) {
  const __m256i m = _mm256_srli_epi64(w, 11);
  const __m256i two52 = _mm256_set1_epi64x(0x4330000000000000LL);
  const __m256d two52d = _mm256_set1_pd(0x1.0p52);
  const __m256d hi =
      _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(m, 32), two52)), two52d);
  const __m256d lo =
      _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
                        _mm256_and_si256(m, _mm256_set1_epi64x(0xFFFFFFFFLL)), two52)),
                    two52d);
  const __m256d exact = _mm256_add_pd(_mm256_mul_pd(hi, _mm256_set1_pd(0x1.0p32)), lo);
  return _mm256_mul_pd(_mm256_add_pd(exact, _mm256_set1_pd(0.5)), _mm256_set1_pd(0x1.0p-53));
}

// The 16 normals of blocks block .. block + 3, as normals32_avx2() lays them out.
void normals16(std::uint64_t k0, std::uint64_t k1, std::uint64_t c0, std::uint64_t block,
               std::uint64_t c2, std::uint64_t c3, double* out) {
  const auto lanes = [](std::uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); };
  __m256i x0 = lanes(c0);
  __m256i x1 = _mm256_add_epi64(lanes(block), _mm256_set_epi64x(3, 2, 1, 0));
  __m256i x2 = lanes(c2);
  __m256i x3 = lanes(c3);
  const __m256i m0_hi = lanes(kPhiloxM0 >> 32), m0_lo = lanes(kPhiloxM0 & 0xFFFFFFFFULL);
  const __m256i m1_hi = lanes(kPhiloxM1 >> 32), m1_lo = lanes(kPhiloxM1 & 0xFFFFFFFFULL);
  std::uint64_t key0 = k0, key1 = k1;
  for (int round = 0; round < kPhiloxRounds; ++round) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo(x0, m0_hi, m0_lo, hi0, lo0);
    mulhilo(x2, m1_hi, m1_lo, hi1, lo1);
    x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), lanes(key0));
    x1 = lo1;
    x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), lanes(key1));
    x3 = lo0;
    key0 += kPhiloxW0;
    key1 += kPhiloxW1;
  }
  // Pairs (w0, w1) of the 4 blocks, then (w2, w3).
  alignas(32) double u1[2 * kLanes], u2[2 * kLanes], cosines[2 * kLanes], sines[2 * kLanes];
  _mm256_store_pd(u1, uniforms(x0));
  _mm256_store_pd(u2, uniforms(x1));
  _mm256_store_pd(u1 + kLanes, uniforms(x2));
  _mm256_store_pd(u2 + kLanes, uniforms(x3));
  box_muller_4(u1, u2, cosines, sines);
  box_muller_4(u1 + kLanes, u2 + kLanes, cosines + kLanes, sines + kLanes);
  for (std::size_t i = 0; i < kLanes; ++i) {
    out[4 * i] = cosines[i];
    out[4 * i + 1] = sines[i];
    out[4 * i + 2] = cosines[kLanes + i];
    out[4 * i + 3] = sines[kLanes + i];
  }
}

}  // namespace

void normals32_avx2(std::uint64_t k0, std::uint64_t k1, std::uint64_t c0, std::uint64_t block,
                    std::uint64_t c2, std::uint64_t c3, double* out) {
  normals16(k0, k1, c0, block, c2, c3, out);
  normals16(k0, k1, c0, block + kLanes, c2, c3, out + 4 * kLanes);
}

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
