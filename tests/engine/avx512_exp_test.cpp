// exp512 (kernels/cpu/avx512_exp.h) against expf rounded from the f64 exp: within 1 ulp over the
// whole finite range, 0 below it, +inf above it, NaN kept. Skipped on CPUs without AVX-512.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/cpu/avx512_exp.h"
#include "kernels/cpu/sgemm_avx512.h"

#ifdef DREAMBOX_AVX512_KERNEL

namespace {

AVX512_TARGET void exp16(const float* in, float* out) {
  _mm512_storeu_ps(out, kernels::cpu::exp512(_mm512_loadu_ps(in)));
}

// Distance in units in the last place between two finite non-negative floats.
std::int64_t ulps(float a, float b) {
  std::int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(static_cast<std::int64_t>(ia) - ib);
}

}  // namespace

TEST(Avx512Exp, Within2UlpOfExpOverTheFloatRange) {
  if (!kernels::cpu::sgemm_avx512_available()) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::int64_t worst = 0;
  float in[16], out[16];
  // Every 97th float bit pattern of either sign in [-104, 89] (about 2e7 values).
  int filled = 0;
  const auto check = [&] {
    exp16(in, out);
    for (int i = 0; i < filled; ++i) {
      const float want = static_cast<float>(std::exp(static_cast<double>(in[i])));
      if (std::isinf(want))
        EXPECT_TRUE(std::isinf(out[i])) << in[i];
      else if (want < std::numeric_limits<float>::min())  // subnormal results: only tiny
        EXPECT_LE(out[i], 2 * std::numeric_limits<float>::min()) << in[i];
      else
        worst = std::max(worst, ulps(out[i], want));
    }
    filled = 0;
  };
  for (const float sign : {1.f, -1.f})
    for (std::uint32_t bits = 0; bits < 0x42D00000u; bits += 97) {  // |x| < 104
      float x;
      std::memcpy(&x, &bits, 4);
      x *= sign;
      if (x > 89.f) continue;
      in[filled++] = x;
      if (filled == 16) check();
    }
  check();
  EXPECT_LE(worst, 1);
  const float special[16] = {-INFINITY, -1000.f, -104.f, -88.f, 0.f, -0.f, 1.f, 88.7f,
                             89.f,      1000.f,  INFINITY, NAN, 0.5f, -0.5f, 10.f, -10.f};
  std::memcpy(in, special, sizeof in);
  exp16(in, out);
  EXPECT_EQ(out[0], 0.f);
  EXPECT_EQ(out[1], 0.f);
  EXPECT_EQ(out[4], 1.f);
  EXPECT_EQ(out[5], 1.f);
  EXPECT_TRUE(std::isinf(out[8]) && std::isinf(out[9]) && std::isinf(out[10]));
  EXPECT_TRUE(std::isnan(out[11]));
}

#endif
