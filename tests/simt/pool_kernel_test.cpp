// kernels/cuda/pool.cu (max/avg/adaptive-avg pooling and backward) in emulation against the CPU
// oracle (kernels::cpu pooling): padding, stride, dilation, overlapping windows, odd sizes, empty.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/pool.h"
#include "kernels/cuda/pool.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using kernels::cpu::Pool2dGeometry;
using simt_test::DeviceBuffer;

Pool2dGeometry geometry(std::int64_t planes,
                        std::int64_t h,
                        std::int64_t w,
                        std::int64_t k,
                        std::int64_t stride,
                        std::int64_t pad,
                        std::int64_t dilation = 1) {
  Pool2dGeometry g{planes, h, w, k, k, stride, stride, pad, pad, dilation, dilation, 0, 0};
  g.out_h = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  g.out_w = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  return g;
}

Pool2dGeometry adaptive(
    std::int64_t planes, std::int64_t h, std::int64_t w, std::int64_t out_h, std::int64_t out_w) {
  return {planes, h, w, 1, 1, 1, 1, 0, 0, 1, 1, out_h, out_w};  // kernel fields unused
}

std::string name(const Pool2dGeometry& g) {
  return std::to_string(g.planes) + "x" + std::to_string(g.height) + "x" + std::to_string(g.width) +
         " k" + std::to_string(g.kernel_h) + " s" + std::to_string(g.stride_h) + " p" +
         std::to_string(g.pad_h) + " d" + std::to_string(g.dilation_h) + " -> " +
         std::to_string(g.out_h) + "x" + std::to_string(g.out_w);
}

struct Inputs {
  std::vector<float> x, grad_out;
  engine::Tensor tx, tgo;
  Inputs(const Pool2dGeometry& g, std::uint32_t seed)
      : x(simt_test::random_floats(static_cast<std::size_t>(g.planes * g.height * g.width), seed)),
        grad_out(simt_test::random_floats(static_cast<std::size_t>(g.planes * g.out_h * g.out_w),
                                          seed + 1)),
        tx(engine::from_vector(x, {g.planes, g.height, g.width})),
        tgo(engine::from_vector(grad_out, {g.planes, g.out_h, g.out_w})) {}
};

void check_max(const Pool2dGeometry& g, std::uint32_t seed) {
  const Inputs in(g, seed);
  const engine::Tensor out = engine::empty(in.tgo.shape()), gx = engine::empty(in.tx.shape());
  const engine::Tensor indices = engine::empty(in.tgo.shape(), {.dtype = engine::DType::i64});
  kernels::cpu::max_pool2d_forward(in.tx, g, out, indices);
  kernels::cpu::max_pool2d_backward(in.tgo, indices, g, gx);

  DeviceBuffer<float> dx(in.x), dgo(in.grad_out), dout(in.grad_out.size()), dgx(in.x.size());
  DeviceBuffer<std::int64_t> dindices(in.grad_out.size());
  dout.poison();
  dgx.poison();
  dindices.poison();
  kernels::cuda::max_pool2d_forward_f32(dx.get(), g, dout.get(), dindices.get(), nullptr);
  kernels::cuda::max_pool2d_backward_f32(dgo.get(), dindices.get(), g, dgx.get(), nullptr);
  // Selecting and summing the same elements in the same order: exact.
  simt_test::expect_all_near(dout.download(), out.to_vector<float>(), 0.0, "max_pool " + name(g));
  EXPECT_EQ(dindices.download(), indices.to_vector<std::int64_t>())
      << "max_pool indices " << name(g);
  simt_test::expect_all_near(dgx.download(), gx.to_vector<float>(), 0.0,
                             "max_pool backward " + name(g));
}

// avg (count_include_pad false/true) or, with adaptive, adaptive_avg.
void check_average(const Pool2dGeometry& g,
                   bool adaptive_pool,
                   bool count_include_pad,
                   std::uint32_t seed) {
  const Inputs in(g, seed);
  const engine::Tensor out = engine::empty(in.tgo.shape()), gx = engine::empty(in.tx.shape());
  DeviceBuffer<float> dx(in.x), dgo(in.grad_out), dout(in.grad_out.size()), dgx(in.x.size());
  dout.poison();
  dgx.poison();
  if (adaptive_pool) {
    kernels::cpu::adaptive_avg_pool2d_forward(in.tx, g, out);
    kernels::cpu::adaptive_avg_pool2d_backward(in.tgo, g, gx);
    kernels::cuda::adaptive_avg_pool2d_forward_f32(dx.get(), g, dout.get(), nullptr);
    kernels::cuda::adaptive_avg_pool2d_backward_f32(dgo.get(), g, dgx.get(), nullptr);
  } else {
    kernels::cpu::avg_pool2d_forward(in.tx, g, count_include_pad, out);
    kernels::cpu::avg_pool2d_backward(in.tgo, g, count_include_pad, gx);
    kernels::cuda::avg_pool2d_forward_f32(dx.get(), g, count_include_pad, dout.get(), nullptr);
    kernels::cuda::avg_pool2d_backward_f32(dgo.get(), g, count_include_pad, dgx.get(), nullptr);
  }
  // The same float operations in the same order as the oracle; 1e-6 leaves room for a GPU's
  // division (|values| < 1 here).
  const std::string what = (adaptive_pool ? "adaptive_avg_pool " : "avg_pool ") + name(g) +
                           (count_include_pad ? " count_include_pad" : "");
  simt_test::expect_all_near(dout.download(), out.to_vector<float>(), 1e-6, what);
  simt_test::expect_all_near(dgx.download(), gx.to_vector<float>(), 1e-6, what + " backward");
}

TEST(CudaPoolKernel, MaxPool) {
  check_max(geometry(3, 9, 7, 3, 2, 1), 1);      // ResNet's 3x3/2 pad 1, odd sizes
  check_max(geometry(2, 8, 8, 2, 2, 0), 2);      // non-overlapping
  check_max(geometry(5, 11, 13, 3, 1, 1), 3);    // stride 1: heavy overlap
  check_max(geometry(2, 10, 9, 3, 2, 2, 2), 4);  // dilation 2
  check_max(geometry(1, 1, 1, 1, 1, 0), 5);      // FPN's extra level: 1x1 window, stride 2 below
  check_max(geometry(4, 7, 5, 1, 2, 0), 6);      // 1x1 stride 2 (LastLevelMaxPool)
  check_max(geometry(40, 9, 9, 3, 2, 1), 7);     // 40 * 81 inputs: several blocks
  check_max(geometry(0, 5, 5, 3, 1, 1), 8);      // empty
}

TEST(CudaPoolKernel, AveragePool) {
  for (bool include_pad : {false, true}) {
    check_average(geometry(3, 9, 7, 3, 2, 1), false, include_pad, 10);
    check_average(geometry(2, 8, 11, 2, 2, 0), false, include_pad, 11);
    check_average(geometry(4, 10, 10, 5, 3, 2), false, include_pad, 12);
    check_average(geometry(40, 9, 9, 3, 1, 1), false, include_pad, 13);
  }
  check_average(geometry(0, 5, 5, 3, 1, 1), false, true, 14);
}

TEST(CudaPoolKernel, AdaptiveAveragePool) {
  check_average(adaptive(3, 7, 7, 1, 1), true, true, 20);     // global average
  check_average(adaptive(2, 10, 9, 3, 4), true, true, 21);    // overlapping uneven windows
  check_average(adaptive(2, 5, 6, 7, 8), true, true, 22);     // more outputs than inputs
  check_average(adaptive(30, 13, 11, 5, 3), true, true, 23);  // several blocks
  check_average(adaptive(0, 4, 4, 2, 2), true, true, 24);     // empty
}

}  // namespace
