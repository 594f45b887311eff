// Private: the AVX-512F Box-Muller kernel (random_kernels.hpp), 8 lanes. Compiled with -mavx512f
// alone (framework/CMakeLists.txt); includes no C++ library header but
// <cstddef> and <cstdint> (random_kernels.hpp says why). Also the Philox blocks of normals32,
// 8 blocks in the 8 lanes of a vector.
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

// GCC 12's unmasked shifts and products of 64-bit lanes start from _mm512_undefined_epi32() and
// trip -Wuninitialized; the zero-masked forms over all 8 lanes are the same instructions.
constexpr __mmask8 kAll = 0xFF;
__m512i shift_right(__m512i a, unsigned bits) {
  return _mm512_maskz_srli_epi64(kAll, a, bits);
}
__m512i shift_left(__m512i a, unsigned bits) {
  return _mm512_maskz_slli_epi64(kAll, a, bits);
}
__m512i mul32(__m512i a, __m512i b) {
  return _mm512_maskz_mul_epu32(kAll, a, b);
}

// The high and low 64 bits of m x a in each lane, m = (m_hi, m_lo) 32-bit halves broadcast:
// four 32 x 32-bit products, exact, and their carries.
void mulhilo(__m512i a, __m512i m_hi, __m512i m_lo, __m512i& hi, __m512i& lo) {
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFFLL);
  const __m512i a_hi = shift_right(a, 32);
  const __m512i ll = mul32(a, m_lo);
  const __m512i lh = mul32(a, m_hi);
  const __m512i hl = mul32(a_hi, m_lo);
  const __m512i hh = mul32(a_hi, m_hi);
  const __m512i mid =
      _mm512_add_epi64(_mm512_add_epi64(shift_right(ll, 32), _mm512_and_si512(lh, low32)),
                       _mm512_and_si512(hl, low32));
  hi = _mm512_add_epi64(_mm512_add_epi64(hh, shift_right(lh, 32)),
                        _mm512_add_epi64(shift_right(hl, 32), shift_right(mid, 32)));
  lo = _mm512_or_si512(shift_left(mid, 32), _mm512_and_si512(ll, low32));
}

// uniform_of_bits() of each lane: (w >> 11) is below 2^53, converted exactly as its high 21 and
// low 32 bits (each by the 2^52 trick), then + 1/2 rounded as the scalar code rounds it.
__m512d uniforms(__m512i w) {
  const __m512i m = shift_right(w, 11);
  const __m512i two52 = _mm512_set1_epi64(0x4330000000000000LL);
  const __m512d two52d = _mm512_set1_pd(0x1.0p52);
  const __m512d hi =
      _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(shift_right(m, 32), two52)), two52d);
  const __m512d lo =
      _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(
                        _mm512_and_si512(m, _mm512_set1_epi64(0xFFFFFFFFLL)), two52)),
                    two52d);
  const __m512d exact = _mm512_add_pd(_mm512_mul_pd(hi, _mm512_set1_pd(0x1.0p32)), lo);
  return _mm512_mul_pd(_mm512_add_pd(exact, _mm512_set1_pd(0.5)), _mm512_set1_pd(0x1.0p-53));
}

}  // namespace

void normals32_avx512(std::uint64_t k0, std::uint64_t k1, std::uint64_t c0, std::uint64_t block,
                      std::uint64_t c2, std::uint64_t c3, double* out) {
  const auto lanes = [](std::uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); };
  __m512i x0 = lanes(c0);
  __m512i x1 = _mm512_add_epi64(lanes(block), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
  __m512i x2 = lanes(c2);
  __m512i x3 = lanes(c3);
  const __m512i m0_hi = lanes(kPhiloxM0 >> 32), m0_lo = lanes(kPhiloxM0 & 0xFFFFFFFFULL);
  const __m512i m1_hi = lanes(kPhiloxM1 >> 32), m1_lo = lanes(kPhiloxM1 & 0xFFFFFFFFULL);
  std::uint64_t key0 = k0, key1 = k1;
  for (int round = 0; round < kPhiloxRounds; ++round) {
    __m512i hi0, lo0, hi1, lo1;
    mulhilo(x0, m0_hi, m0_lo, hi0, lo0);
    mulhilo(x2, m1_hi, m1_lo, hi1, lo1);
    x0 = _mm512_xor_si512(_mm512_xor_si512(hi1, x1), lanes(key0));
    x1 = lo1;
    x2 = _mm512_xor_si512(_mm512_xor_si512(hi0, x3), lanes(key1));
    x3 = lo0;
    key0 += kPhiloxW0;
    key1 += kPhiloxW1;
  }
  // Pairs (w0, w1) of the 8 blocks, then (w2, w3).
  alignas(64) double u1[2 * kLanes], u2[2 * kLanes], cosines[2 * kLanes], sines[2 * kLanes];
  _mm512_store_pd(u1, uniforms(x0));
  _mm512_store_pd(u2, uniforms(x1));
  _mm512_store_pd(u1 + kLanes, uniforms(x2));
  _mm512_store_pd(u2 + kLanes, uniforms(x3));
  box_muller_8(u1, u2, cosines, sines);
  box_muller_8(u1 + kLanes, u2 + kLanes, cosines + kLanes, sines + kLanes);
  for (std::size_t i = 0; i < kLanes; ++i) {
    out[4 * i] = cosines[i];
    out[4 * i + 1] = sines[i];
    out[4 * i + 2] = cosines[kLanes + i];
    out[4 * i + 3] = sines[kLanes + i];
  }
}

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
