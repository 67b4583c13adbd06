// kernels/cuda/resize.cu (nearest and bilinear resize and backward) in emulation against the CPU
// oracle (kernels::cpu resize): integer factors, arbitrary targets (up and down), align_corners.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/resize.h"
#include "kernels/cuda/resize.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using kernels::cpu::ResizeGeometry;
using simt_test::DeviceBuffer;

void check(const ResizeGeometry& g, bool bilinear, std::uint32_t seed) {
  const std::string what = std::string(bilinear ? "bilinear" : "nearest") +
                           (g.align_corners ? " align_corners " : " ") + std::to_string(g.planes) +
                           "x" + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + " -> " +
                           std::to_string(g.out_h) + "x" + std::to_string(g.out_w);
  const std::vector<float> x =
      simt_test::random_floats(static_cast<std::size_t>(g.planes * g.in_h * g.in_w), seed);
  const std::vector<float> go =
      simt_test::random_floats(static_cast<std::size_t>(g.planes * g.out_h * g.out_w), seed + 1);
  const engine::Tensor tx = engine::from_vector(x, {g.planes, g.in_h, g.in_w});
  const engine::Tensor tgo = engine::from_vector(go, {g.planes, g.out_h, g.out_w});
  const engine::Tensor abs_go =
      engine::from_vector(simt_test::abs_values(go), {g.planes, g.out_h, g.out_w});
  const engine::Tensor out = engine::empty(tgo.shape()), gx = engine::empty(tx.shape()),
                       magnitude = engine::empty(tx.shape());

  DeviceBuffer<float> dx(x), dgo(go), dout(go.size()), dgx(x.size());
  dout.poison();
  dgx.poison();
  if (bilinear) {
    kernels::cpu::upsample_bilinear2d(tx, g, out);
    kernels::cpu::upsample_bilinear2d_backward(tgo, g, gx);
    kernels::cpu::upsample_bilinear2d_backward(abs_go, g, magnitude);
    kernels::cuda::upsample_bilinear2d_f32(dx.get(), g, dout.get(), nullptr);
    kernels::cuda::upsample_bilinear2d_backward_f32(dgo.get(), g, dgx.get(), nullptr);
  } else {
    kernels::cpu::upsample_nearest2d(tx, g, out);
    kernels::cpu::upsample_nearest2d_backward(tgo, g, gx);
    kernels::cpu::upsample_nearest2d_backward(abs_go, g, magnitude);
    kernels::cuda::upsample_nearest2d_f32(dx.get(), g, dout.get(), nullptr);
    kernels::cuda::upsample_nearest2d_backward_f32(dgo.get(), g, dgx.get(), nullptr);
  }
  // Forward: a copy (nearest) or a 4-tap blend of values < 1 (a GPU may fuse it into fma).
  simt_test::expect_all_near(dout.download(), out.to_vector<float>(), bilinear ? 1e-6 : 0.0, what);
  // Backward sums the same products in another order: bounded by eps times the sum of |terms|
  // (times the few roundings per term).
  const std::vector<float> m = magnitude.to_vector<float>();
  simt_test::expect_all_near(
      dgx.download(), gx.to_vector<float>(), [&](std::size_t i) { return 1e-7 + 1e-6 * m[i]; },
      what + " backward");
}

TEST(CudaResizeKernel, NearestIntegerFactorsAndTargets) {
  check({3, 5, 7, 10, 14}, false, 1);   // x2 (FPN top-down)
  check({2, 4, 3, 12, 9}, false, 2);    // x3
  check({2, 9, 7, 13, 12}, false, 3);   // to a target size, non-integer ratio
  check({2, 12, 10, 5, 4}, false, 4);   // downsampling
  check({40, 6, 6, 12, 12}, false, 5);  // several blocks
  check({0, 4, 4, 8, 8}, false, 6);     // empty
}

TEST(CudaResizeKernel, Bilinear) {
  for (bool align : {false, true}) {
    check({3, 5, 7, 10, 14, align}, true, 10);
    check({2, 9, 7, 13, 12, align}, true, 11);
    check({2, 12, 10, 5, 4, align}, true, 12);
    check({2, 1, 6, 4, 1, align}, true, 13);  // single input row, single output column
    check({30, 7, 8, 16, 11, align}, true, 14);
  }
}

}  // namespace
