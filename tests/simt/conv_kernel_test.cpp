// kernels/cuda/conv.cu (implicit-GEMM conv2d) in emulation against the CPU oracle
// (kernels::cpu::conv2d_forward/backward): stride, padding, dilation, groups, odd sizes, empty
// batch.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/conv.h"
#include "kernels/cuda/conv.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using kernels::cpu::Conv2dGeometry;
using simt_test::DeviceBuffer;

Conv2dGeometry geometry(std::int64_t n,
                        std::int64_t c,
                        std::int64_t h,
                        std::int64_t w,
                        std::int64_t o,
                        std::int64_t k,
                        std::int64_t groups,
                        std::int64_t stride,
                        std::int64_t pad,
                        std::int64_t dilation) {
  Conv2dGeometry g{n, c, h, w, o, k, k, groups, stride, stride, pad, pad, dilation, dilation, 0, 0};
  g.out_h = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  g.out_w = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  return g;
}

std::string name(const Conv2dGeometry& g) {
  return "conv N" + std::to_string(g.batch) + " C" + std::to_string(g.in_channels) + " " +
         std::to_string(g.height) + "x" + std::to_string(g.width) + " O" +
         std::to_string(g.out_channels) + " k" + std::to_string(g.kernel_h) + " groups " +
         std::to_string(g.groups) + " stride " + std::to_string(g.stride_h) + " pad " +
         std::to_string(g.pad_h) + " dilation " + std::to_string(g.dilation_h);
}

struct CpuConv {
  std::vector<float> out, grad_x, grad_weight, grad_bias;
};

// The CPU oracle on host vectors (all four products).
CpuConv cpu_conv(const Conv2dGeometry& g,
                 const std::vector<float>& x,
                 const std::vector<float>& w,
                 const std::vector<float>& b,
                 const std::vector<float>& go) {
  const engine::Tensor tx = engine::from_vector(x, {g.batch, g.in_channels, g.height, g.width});
  const engine::Tensor tw =
      engine::from_vector(w, {g.out_channels, g.in_channels / g.groups, g.kernel_h, g.kernel_w});
  const engine::Tensor tb = engine::from_vector(b, {g.out_channels});
  const engine::Tensor tgo = engine::from_vector(go, {g.batch, g.out_channels, g.out_h, g.out_w});
  // grad_weight starts at zero: with an empty batch the oracle has nothing to add to it.
  const engine::Tensor out = engine::empty(tgo.shape()), gx = engine::empty(tx.shape()),
                       gw = engine::zeros(tw.shape()), gb = engine::empty(tb.shape());
  kernels::cpu::conv2d_forward(tx, tw, tb, g, out);
  kernels::cpu::conv2d_backward(tgo, tx, tw, g, gx, gw, gb);
  return {out.to_vector<float>(), gx.to_vector<float>(), gw.to_vector<float>(),
          gb.to_vector<float>()};
}

void check(const Conv2dGeometry& g, std::uint32_t seed) {
  const auto count = [](std::int64_t v) { return static_cast<std::size_t>(v); };
  const std::size_t nx = count(g.batch * g.in_channels * g.height * g.width),
                    nw = count(g.out_channels * (g.in_channels / g.groups) * g.kernel_h *
                               g.kernel_w),
                    no = count(g.batch * g.out_channels * g.out_h * g.out_w);
  const std::vector<float> x = simt_test::random_floats(nx, seed),
                           w = simt_test::random_floats(nw, seed + 1),
                           b = simt_test::random_floats(count(g.out_channels), seed + 2),
                           go = simt_test::random_floats(no, seed + 3);

  DeviceBuffer<float> dx(x), dw(w), db(b), dgo(go), out(no), gx(nx), gw(nw),
      gb(count(g.out_channels));
  for (auto* buffer : {&out, &gx, &gw, &gb}) buffer->poison();
  kernels::cuda::conv2d_forward_f32(dx.get(), dw.get(), db.get(), g, out.get(), nullptr);
  kernels::cuda::conv2d_backward_data_f32(dgo.get(), dw.get(), g, gx.get(), nullptr);
  kernels::cuda::conv2d_backward_weight_f32(dgo.get(), dx.get(), g, gw.get(), nullptr);
  kernels::cuda::conv2d_backward_bias_f32(dgo.get(), g, gb.get(), nullptr);

  const CpuConv want = cpu_conv(g, x, w, b, go);
  // The same products of |inputs| scale the rounding: f32 sums of K terms of random sign err by
  // about sqrt(K) * eps * sum |a b| (the worst case K * eps * sum |a b| is far too loose to
  // catch a dropped term in long reductions); both sides round, in different orders, so allow
  // 8 such units.
  const CpuConv magnitude = cpu_conv(g, simt_test::abs_values(x), simt_test::abs_values(w),
                                     simt_test::abs_values(b), simt_test::abs_values(go));
  const auto bound = [](const std::vector<float>& m, std::int64_t terms) {
    return [&m, terms](std::size_t i) {
      return 1e-6 + 8 * 1.2e-7 * std::sqrt(static_cast<double>(terms + 2)) * m[i];
    };
  };
  const std::int64_t cg = g.in_channels / g.groups, og = g.out_channels / g.groups,
                     taps = g.kernel_h * g.kernel_w;
  const std::int64_t pixels = g.batch * g.out_h * g.out_w;
  simt_test::expect_all_near(out.download(), want.out, bound(magnitude.out, cg * taps),
                             name(g) + " forward");
  simt_test::expect_all_near(gx.download(), want.grad_x, bound(magnitude.grad_x, og * taps),
                             name(g) + " backward data");
  simt_test::expect_all_near(gw.download(), want.grad_weight, bound(magnitude.grad_weight, pixels),
                             name(g) + " backward weight");
  simt_test::expect_all_near(gb.download(), want.grad_bias, bound(magnitude.grad_bias, pixels),
                             name(g) + " backward bias");
}

TEST(CudaConvKernel, PlainAndPaddedConvolutions) {
  check(geometry(1, 1, 1, 1, 1, 1, 1, 1, 0, 1), 1);    // a single multiply
  check(geometry(2, 3, 9, 7, 5, 3, 1, 1, 1, 1), 2);    // 3x3 same-padding, odd sizes
  check(geometry(1, 4, 6, 6, 3, 1, 1, 1, 0, 1), 3);    // 1x1
  check(geometry(2, 3, 11, 10, 4, 7, 1, 2, 3, 1), 4);  // 7x7 stride 2 (ResNet stem shape)
  check(geometry(1, 2, 5, 5, 2, 5, 1, 1, 0, 1), 5);    // kernel covers the whole input
}

TEST(CudaConvKernel, StrideDilationAndGroups) {
  check(geometry(2, 4, 10, 9, 6, 3, 2, 2, 1, 1), 10);   // groups 2, stride 2
  check(geometry(1, 3, 12, 11, 3, 3, 1, 1, 2, 2), 11);  // dilation 2
  check(geometry(2, 6, 8, 7, 6, 3, 6, 1, 1, 1), 12);    // depthwise
  check(geometry(1, 4, 9, 9, 8, 3, 4, 3, 2, 2), 13);    // groups 4, stride 3, dilation 2
  check(geometry(1, 2, 8, 8, 2, 2, 1, 2, 0, 1), 14);    // stride 2 without overlap
}

TEST(CudaConvKernel, SeveralTilesInEveryDimension) {
  // out channels 70 (two row tiles), 2 * 10 * 10 = 200 pixels (four column tiles), K = 9 * 20 = 180
  // (twelve reduction steps); backward weight: 180 columns, 200-deep reduction.
  check(geometry(2, 20, 10, 10, 70, 3, 1, 1, 1, 1), 20);
}

TEST(CudaConvKernel, LongBackwardWeightReductionsSplitAcrossBlocks) {
  check(geometry(2, 3, 24, 24, 4, 3, 1, 1, 1, 1), 25);  // 1152 pixels: 2 splits
  check(geometry(4, 2, 32, 32, 3, 3, 1, 1, 1, 1), 26);  // 4096 pixels: 8 splits
  check(geometry(2, 4, 24, 24, 4, 3, 2, 1, 1, 1), 27);  // split within each of 2 groups
}

TEST(CudaConvKernel, EmptyBatch) {
  // Nothing to write for out/grad_x; grad_weight and grad_bias are sums over nothing: zeros.
  check(geometry(0, 3, 5, 5, 4, 3, 1, 1, 1, 1), 30);
}

TEST(CudaConvKernel, TensorsBeyondThe32BitIndexRangeAreRefused) {
  // 1 x 1 x 50000 x 50000 = 2.5e9 elements: refused before anything is read or launched.
  const Conv2dGeometry g = geometry(1, 1, 50000, 50000, 1, 3, 1, 1, 1, 1);
  EXPECT_THROW(kernels::cuda::conv2d_forward_f32(nullptr, nullptr, nullptr, g, nullptr, nullptr),
               std::invalid_argument);
  EXPECT_THROW(kernels::cuda::conv2d_backward_data_f32(nullptr, nullptr, g, nullptr, nullptr),
               std::invalid_argument);
  EXPECT_THROW(kernels::cuda::conv2d_backward_weight_f32(nullptr, nullptr, g, nullptr, nullptr),
               std::invalid_argument);
}

}  // namespace
