// The input gradient of strided convs by phases (kernels/cpu/phase_input_grad.h) against the f64
// conv's input gradient (im2col + col2im, the oracle), and which convs take the path.
#include "kernels/cpu/phase_input_grad.h"

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

// 3x3 stride 2 with padding 1 (ResNet) and 0, odd and even sizes (phases of unequal size, input
// rows no output reads), 1x1 stride 2 (three phases without taps), a stride above the kernel
// (3x3 stride 4), 5x5 stride 3, 2x2 stride 2 (every phase one tap), unequal strides (2, 1) and
// (1, 3), batch 1 and 3, channel counts off the 16-lane and 6-row tiles.
const Case kCases[] = {
    {2, 16, 24, 16, 16, 3, 3, 2, 2, 1, 1}, {3, 17, 5, 13, 11, 3, 3, 2, 2, 1, 1},
    {1, 33, 40, 12, 9, 3, 3, 2, 2, 0, 0},  {2, 20, 16, 14, 15, 1, 1, 2, 2, 0, 0},
    {1, 16, 19, 18, 17, 3, 3, 4, 4, 1, 1}, {2, 24, 7, 20, 19, 5, 5, 3, 3, 2, 2},
    {1, 18, 32, 10, 12, 2, 2, 2, 2, 0, 0}, {2, 16, 20, 11, 10, 3, 3, 2, 1, 1, 1},
    {1, 23, 16, 9, 16, 3, 5, 1, 3, 1, 2},
};

TEST(PhaseInputGrad, MatchesF64Im2colInputGradient) {
  if (!own_gemm()) GTEST_SKIP() << "no AVX-512 GEMM: strided input gradients take col2im";
  for (const Case& k : kCases) {
    SCOPED_TRACE(testing::Message() << k);
    const Conv2dGeometry g = geometry(k);
    ASSERT_TRUE(kernels::cpu::phase_input_grad_applies(g));
    // The oracle: the f64 conv (im2col + dgemm, col2im) and its input gradient through autograd.
    const Tensor x64 = test_util::leaf({k.batch, k.c, k.h, k.w}, 31);
    const Tensor w64 = test_util::leaf({k.o, k.c, k.kh, k.kw}, 32);
    const Tensor up64 = test_util::leaf({k.batch, k.o, g.out_h, g.out_w}, 33).detach();
    conv2d(x64, w64, {}, {k.stride_h, k.stride_w}, {k.pad_h, k.pad_w}).backward(up64);

    // Poisoned output: an element the kernel leaves unwritten fails.
    const Tensor gx = full({k.batch, k.c, k.h, k.w}, NAN);
    kernels::cpu::phase_input_grad(up64.to(DType::f32), w64.to(DType::f32).detach(), g, gx);
    // Sums of at most O * kh * kw products of values in [-1, 1): f32 rounding stays near 1e-7 of
    // the largest value; a wrong tap, phase offset or pixel gives errors of order 1.
    conv_cases::expect_matches(gx, x64.grad(), 1e-5);
  }
}

TEST(PhaseInputGrad, OnlyUngroupedUndilatedStridedConvsTakeThePath) {
  const Conv2dGeometry g = geometry({2, 32, 32, 12, 12, 3, 3, 2, 2, 1, 1});
  EXPECT_EQ(kernels::cpu::phase_input_grad_applies(g), own_gemm());
  const auto with = [&g](auto change) {
    Conv2dGeometry h = g;
    change(h);
    return kernels::cpu::phase_input_grad_applies(h);
  };
  EXPECT_EQ(with([](Conv2dGeometry& h) { h.stride_h = 1; }), own_gemm());
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.stride_h = h.stride_w = 1; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.dilation_h = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.dilation_w = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.groups = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.in_channels = 3; }));  // the stem: col2im
}

}  // namespace
