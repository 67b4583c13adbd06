// Shared pieces of the strided-conv kernel tests: a conv case and its geometry, whether our
// AVX-512 GEMM runs, and the check of a poisoned f32 output against its f64 oracle.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>

#include "engine/tensor.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/geometry.h"
#include "test_util.h"

namespace conv_cases {

struct Case {
  std::int64_t batch, c, o, h, w, kh, kw, stride_h, stride_w, pad_h, pad_w;
};

inline std::ostream& operator<<(std::ostream& out, const Case& k) {
  return out << "batch " << k.batch << " C " << k.c << " O " << k.o << " " << k.h << "x" << k.w
             << " kernel " << k.kh << "x" << k.kw << " stride " << k.stride_h << "," << k.stride_w
             << " pad " << k.pad_h << "," << k.pad_w;
}

inline kernels::cpu::Conv2dGeometry geometry(const Case& k) {
  kernels::cpu::Conv2dGeometry g{};
  g.batch = k.batch, g.in_channels = k.c, g.height = k.h, g.width = k.w, g.out_channels = k.o;
  g.kernel_h = k.kh, g.kernel_w = k.kw, g.groups = 1, g.dilation_h = g.dilation_w = 1;
  g.stride_h = k.stride_h, g.stride_w = k.stride_w, g.pad_h = k.pad_h, g.pad_w = k.pad_w;
  g.out_h = (k.h + 2 * k.pad_h - k.kh) / k.stride_h + 1;
  g.out_w = (k.w + 2 * k.pad_w - k.kw) / k.stride_w + 1;
  return g;
}

inline bool own_gemm() {
  return kernels::cpu::gemm_uses_own_kernel(16, 16);
}

// Every element of got (an f32 output first filled with NaN) is finite and within
// tolerance * (the largest |want|) of the f64 oracle want.
inline void expect_matches(const engine::Tensor& got_tensor,
                           const engine::Tensor& want_tensor,
                           double tolerance) {
  const auto got = test_util::values(got_tensor), want = test_util::values(want_tensor);
  ASSERT_EQ(got.size(), want.size());
  double scale = 0, worst = 0;
  for (double v : want) scale = std::max(scale, std::abs(v));
  ASSERT_GT(scale, 0);
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << "element " << i;
    worst = std::max(worst, std::abs(got[i] - want[i]));
  }
  EXPECT_LE(worst, tolerance * scale) << "max error " << worst << " vs largest value " << scale;
}

}  // namespace conv_cases
