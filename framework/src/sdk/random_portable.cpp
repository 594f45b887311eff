// Private: the portable Box-Muller kernel (random_kernels.hpp), one lane, for any x86-64.
#include <cmath>

#include <sleef.h>

#include "sdk/random_kernels.hpp"

// sleef.h declares the purecfma functions only where FP_FAST_FMA is defined (an FMA target);
// they exist in every build of libsleef and compute with C fma(), in software where the CPU has
// no FMA instruction, so they are declared here for a build without -mfma.
extern "C" {
double Sleef_finz_logd1_u10purecfma(double);
Sleef_double_2 Sleef_finz_sincosd1_u10purecfma(double);
}

namespace kcube::random_kernels {

void box_muller_portable(const double* u1, const double* u2, double* cosines, double* sines,
                         std::size_t pairs) {
  for (std::size_t i = 0; i < pairs; ++i) {
    const double r = std::sqrt(-2.0 * Sleef_finz_logd1_u10purecfma(u1[i]));
    const Sleef_double_2 sin_cos = Sleef_finz_sincosd1_u10purecfma(kTwoPi * u2[i]);
    cosines[i] = r * sin_cos.y;
    sines[i] = r * sin_cos.x;
  }
}

}  // namespace kcube::random_kernels
