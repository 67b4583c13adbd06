// The strided conv forward and weight gradient by phase bands (kernels/cpu/phase_conv.h) against
// the f64 conv (im2col + dgemm, the oracle) and its autograd, and which convs take the path.
#include "kernels/cpu/phase_conv.h"

#include <gtest/gtest.h>

#include <cmath>

#include "conv_cases.h"
#include "engine/functional.h"
#include "test_util.h"

using namespace engine;
using kernels::cpu::Conv2dGeometry;

namespace {

using conv_cases::Case;
using conv_cases::geometry;
using conv_cases::own_gemm;

// 3x3 stride 2 with padding 1 (ResNet) and 0 (odd width, 63 output columns: a part block), a
// 7x7 stride-2 stem with 3 channels, 1x1 stride 2, 5x5 stride 3, unequal strides (2, 1) (two
// column blocks, one part) and (1, 3), 128 output columns; output heights off the 4-row bands,
// batch 1-3, channel counts off the 16-lane and 6-row tiles.
const Case kCases[] = {
    {2, 16, 24, 9, 128, 3, 3, 2, 2, 1, 1}, {3, 5, 16, 11, 127, 3, 3, 2, 2, 0, 0},
    {1, 3, 17, 13, 128, 7, 7, 2, 2, 3, 3}, {2, 20, 16, 7, 128, 1, 1, 2, 2, 0, 0},
    {1, 8, 19, 10, 180, 5, 5, 3, 3, 2, 2}, {2, 16, 20, 6, 120, 3, 3, 2, 1, 1, 1},
    {1, 7, 16, 5, 192, 3, 5, 1, 3, 1, 2},  {2, 16, 16, 8, 256, 3, 3, 2, 2, 1, 1},
};

TEST(PhaseConv, MatchesF64Im2colForward) {
  if (!own_gemm()) GTEST_SKIP() << "no AVX-512 GEMM: strided convs take im2col";
  for (const Case& k : kCases) {
    SCOPED_TRACE(testing::Message() << k);
    const Conv2dGeometry g = geometry(k);
    ASSERT_TRUE(kernels::cpu::phase_conv_applies(g));
    const Tensor x64 = test_util::leaf({k.batch, k.c, k.h, k.w}, 41).detach();
    const Tensor w64 = test_util::leaf({k.o, k.c, k.kh, k.kw}, 42).detach();
    const Tensor want64 = conv2d(x64, w64, {}, {k.stride_h, k.stride_w}, {k.pad_h, k.pad_w});

    // Poisoned output: an element the kernel leaves unwritten fails.
    const Tensor out = full({k.batch, k.o, g.out_h, g.out_w}, NAN);
    kernels::cpu::phase_conv2d_forward(x64.to(DType::f32), w64.to(DType::f32), g, out);
    // Sums of C * kh * kw products of values in [-1, 1): f32 rounding stays near 1e-7 of the
    // largest value; a wrong tap, phase, band row or pixel gives errors of order 1.
    conv_cases::expect_matches(out, want64, 1e-5);
  }
}

TEST(PhaseConv, WeightGradientMatchesF64Im2colWeightGradient) {
  if (!own_gemm()) GTEST_SKIP() << "no AVX-512 GEMM: strided convs take im2col";
  for (const Case& k : kCases) {
    SCOPED_TRACE(testing::Message() << k);
    const Conv2dGeometry g = geometry(k);
    // The oracle: the f64 conv (im2col + dgemm) and its weight gradient through autograd.
    const Tensor x64 = test_util::leaf({k.batch, k.c, k.h, k.w}, 43).detach();
    const Tensor w64 = test_util::leaf({k.o, k.c, k.kh, k.kw}, 44);
    const Tensor up64 = test_util::leaf({k.batch, k.o, g.out_h, g.out_w}, 45).detach();
    conv2d(x64, w64, {}, {k.stride_h, k.stride_w}, {k.pad_h, k.pad_w}).backward(up64);

    const Tensor gw = full({k.o, k.c, k.kh, k.kw}, NAN);  // poisoned
    kernels::cpu::phase_conv2d_weight_grad(up64.to(DType::f32), x64.to(DType::f32), g, gw);
    // Sums of N * out_h * out_w products (up to ~1500 here) of values in [-1, 1): f32 rounding
    // stays near 1e-6 of the largest value; a wrong tap, pixel or channel gives errors of order 1.
    conv_cases::expect_matches(gw, w64.grad(), 1e-5);
  }
}

TEST(PhaseConv, OnlyUngroupedUndilatedStridedConvsWithWideRowsTakeThePath) {
  const Conv2dGeometry g = geometry({2, 128, 128, 128, 128, 3, 3, 2, 2, 1, 1});  // layer2 3x3 s2
  EXPECT_EQ(kernels::cpu::phase_conv_applies(g), own_gemm());
  const auto with = [&g](auto change) {
    Conv2dGeometry h = g;
    change(h);
    return kernels::cpu::phase_conv_applies(h);
  };
  EXPECT_EQ(with([](Conv2dGeometry& h) { h.stride_h = 1; }), own_gemm());
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.stride_h = h.stride_w = 1; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.dilation_h = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.dilation_w = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.groups = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.out_w = 32; }));  // half of every block wasted
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.out_w = 72; }));  // 56 of 128 columns wasted
  EXPECT_EQ(with([](Conv2dGeometry& h) { h.out_w = 120; }), own_gemm());
}

}  // namespace
