// Winograd F(4x4, 3x3) conv (kernels/cpu/winograd.h) against the f64 im2col conv (the oracle): the
// forward pass, the weight gradient and, through conv2d, the input gradient; plus path selection.
#include "kernels/cpu/winograd.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/functional.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/sgemm_avx512.h"
#include "test_util.h"

using namespace engine;
using kernels::cpu::Conv2dGeometry;

namespace {

struct Case {
  std::int64_t batch, c, o, h, w, pad;
};

Conv2dGeometry geometry(const Case& k) {
  return {k.batch,
          k.c,
          k.h,
          k.w,
          k.o,
          3,
          3,
          1,
          1,
          1,
          k.pad,
          k.pad,
          1,
          1,
          k.h + 2 * k.pad - 2,
          k.w + 2 * k.pad - 2};
}

// Error bound for Winograd F(4x4, 3x3) in f32. Each output goes through the transforms, whose
// entries reach 5 (B^T) and 8 (A^T) with row sums of magnitudes up to 10 and 18, so rounding in the
// transformed domain is amplified about 100x over a direct conv (whose f32 error is ~1e-7 of the
// largest output, SgemmAvx512 tests): ~1e-5 relative is the expected order for F(4x4, 3x3). These
// cases measure 3e-7 to 5e-6. The bound, 5e-5 of the largest reference value, keeps a 10x margin
// and still fails on a wrong transform coefficient, a missed tile, pixel or channel (errors ~1).
constexpr double kRelativeTolerance = 5e-5;

void expect_close_to_oracle(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = test_util::values(got), w = test_util::values(want);
  double scale = 0, worst = 0;
  for (double v : w) scale = std::max(scale, std::abs(v));
  ASSERT_GT(scale, 0) << what;
  for (std::size_t i = 0; i < g.size(); ++i) {
    ASSERT_TRUE(std::isfinite(g[i])) << what << " element " << i;
    worst = std::max(worst, std::abs(g[i] - w[i]));
  }
  EXPECT_LE(worst, kRelativeTolerance * scale)
      << what << ": max error " << worst << " vs largest value " << scale;
  testing::Test::RecordProperty(what + " relative error", std::to_string(worst / scale));
}

bool winograd_available() {
  return kernels::cpu::sgemm_avx512_available() && kernels::cpu::gemm_uses_own_kernel(16, 16);
}

// Odd sizes (H, W not multiples of the 4x4 tile, tiles past the edge), padding 0, 1 and 2 (the
// input gradient of an unpadded conv), batch 1 and 3, channel counts not multiples of the
// 16-lane vectors, and a map of one output pixel.
const Case kCases[] = {
    {1, 16, 16, 4, 4, 1}, {3, 17, 23, 7, 9, 1},   {1, 40, 33, 13, 5, 0}, {2, 24, 16, 11, 14, 2},
    {1, 16, 20, 3, 3, 0}, {3, 33, 48, 18, 17, 1}, {1, 64, 80, 6, 22, 1}, {1, 256, 32, 6, 7, 1},
};

TEST(Winograd, ForwardAndWeightGradientMatchF64Im2col) {
  if (!winograd_available()) GTEST_SKIP() << "no AVX-512 GEMM: convs take the im2col path";
  for (const Case& k : kCases) {
    SCOPED_TRACE(testing::Message() << "batch " << k.batch << " C " << k.c << " O " << k.o << " "
                                    << k.h << "x" << k.w << " pad " << k.pad);
    const Conv2dGeometry g = geometry(k);
    ASSERT_TRUE(kernels::cpu::winograd_applies(g));
    const Tensor x64 = test_util::leaf({k.batch, k.c, k.h, k.w}, 11);
    const Tensor w64 = test_util::leaf({k.o, k.c, 3, 3}, 12);
    const Tensor up64 = test_util::leaf({k.batch, k.o, g.out_h, g.out_w}, 13).detach();
    // The oracle: the f64 conv (im2col + dgemm) and its weight gradient through autograd.
    const Tensor y64 = conv2d(x64, w64, {}, {1, 1}, {k.pad, k.pad});
    y64.backward(up64);

    const Tensor x = x64.to(DType::f32).detach(), w = w64.to(DType::f32).detach();
    const Tensor up = up64.to(DType::f32);
    // Poisoned outputs: an element the kernels leave unwritten fails.
    const Tensor y = full({k.batch, k.o, g.out_h, g.out_w}, NAN);
    kernels::cpu::winograd_conv2d_forward(x, w, g, y);
    expect_close_to_oracle(y, y64, "forward");
    const Tensor gw = full({k.o, k.c, 3, 3}, NAN);
    kernels::cpu::winograd_conv2d_weight_grad(up, x, g, gw);
    expect_close_to_oracle(gw, w64.grad(), "weight gradient");
  }
}

// conv2d end to end in f32 (Winograd forward, input gradient as the Winograd conv of grad_out with
// the flipped weights, Winograd weight gradient, bias) against the same conv in f64.
TEST(Winograd, Conv2dAutogradMatchesF64) {
  if (!winograd_available()) GTEST_SKIP() << "no AVX-512 GEMM: convs take the im2col path";
  for (const Case& k : {Case{2, 19, 21, 10, 7, 1}, Case{1, 32, 16, 9, 12, 0}}) {
    SCOPED_TRACE(testing::Message() << "C " << k.c << " O " << k.o << " pad " << k.pad);
    ASSERT_TRUE(kernels::cpu::winograd_applies(geometry(k)));
    const Tensor x64 = test_util::leaf({k.batch, k.c, k.h, k.w}, 21);
    const Tensor w64 = test_util::leaf({k.o, k.c, 3, 3}, 22), b64 = test_util::leaf({k.o}, 23);
    const Tensor x = x64.to(DType::f32).detach().requires_grad_();
    const Tensor w = w64.to(DType::f32).detach().requires_grad_();
    const Tensor b = b64.to(DType::f32).detach().requires_grad_();
    const Tensor y64 = conv2d(x64, w64, b64, {1, 1}, {k.pad, k.pad});
    const Tensor y = conv2d(x, w, b, {1, 1}, {k.pad, k.pad});
    const Tensor up64 = test_util::leaf(y64.shape(), 24).detach();
    y64.backward(up64);
    y.backward(up64.to(DType::f32));
    expect_close_to_oracle(y, y64, "output");
    expect_close_to_oracle(x.grad(), x64.grad(), "input gradient");
    expect_close_to_oracle(w.grad(), w64.grad(), "weight gradient");
    expect_close_to_oracle(b.grad(), b64.grad(), "bias gradient");
  }
}

TEST(Winograd, OnlyThreeByThreeStrideOneUngroupedConvsTakeThePath) {
  const Case base{2, 32, 32, 12, 12, 1};
  const Conv2dGeometry g = geometry(base);
  EXPECT_EQ(kernels::cpu::winograd_applies(g), winograd_available());
  const auto with = [&g](auto change) {
    Conv2dGeometry h = g;
    change(h);
    return kernels::cpu::winograd_applies(h);
  };
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.stride_h = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.stride_w = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.dilation_h = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.dilation_w = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.groups = 2; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.kernel_h = h.kernel_w = 5; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.kernel_h = h.kernel_w = 1; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.kernel_w = 1; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.in_channels = 3; }));
  EXPECT_FALSE(with([](Conv2dGeometry& h) { h.out_channels = 8; }));
}

}  // namespace
