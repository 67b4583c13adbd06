// kernels/cuda/roi_align.cu in emulation against the CPU oracle (kernels::cpu::roi_align and
// backward): aligned and legacy boxes, fixed and adaptive sampling, boxes over the map's edges.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/roi_align.h"
#include "kernels/cuda/roi_align.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using kernels::cpu::RoiAlignParams;
using simt_test::DeviceBuffer;

struct Case {
  std::int64_t batch, channels, height, width, boxes;
  RoiAlignParams p;
};

// Boxes in image coordinates (map size / spatial_scale), some reaching past the borders, some
// tiny, one inverted (legal for aligned: it samples nothing).
std::vector<float> random_rois(const Case& c, std::uint32_t seed) {
  std::mt19937 gen(seed);
  const float image_w = static_cast<float>(c.width / c.p.spatial_scale),
              image_h = static_cast<float>(c.height / c.p.spatial_scale);
  std::uniform_real_distribution<float> u(-0.2f, 1.1f), size(0.02f, 0.9f);
  std::vector<float> rois;
  for (std::int64_t k = 0; k < c.boxes; ++k) {
    const float x1 = u(gen) * image_w, y1 = u(gen) * image_h;
    float w = size(gen) * image_w, h = size(gen) * image_h;
    if (k == 2) w = -0.3f * w;  // inverted
    rois.insert(rois.end(), {static_cast<float>(k % c.batch), x1, y1, x1 + w, y1 + h});
  }
  return rois;
}

void check(const Case& c, std::uint32_t seed) {
  const std::string what =
      "roi_align " + std::to_string(c.batch) + "x" + std::to_string(c.channels) + "x" +
      std::to_string(c.height) + "x" + std::to_string(c.width) + " boxes " +
      std::to_string(c.boxes) + " out " + std::to_string(c.p.pooled_height) + "x" +
      std::to_string(c.p.pooled_width) + " scale " + std::to_string(c.p.spatial_scale) + " ratio " +
      std::to_string(c.p.sampling_ratio) + (c.p.aligned ? " aligned" : "");
  const std::vector<float> x = simt_test::random_floats(
      static_cast<std::size_t>(c.batch * c.channels * c.height * c.width), seed);
  const std::vector<float> rois = random_rois(c, seed + 1);
  const std::int64_t bins = c.p.pooled_height * c.p.pooled_width;
  const std::vector<float> go =
      simt_test::random_floats(static_cast<std::size_t>(c.boxes * c.channels * bins), seed + 2);

  const engine::Tensor tx = engine::from_vector(x, {c.batch, c.channels, c.height, c.width});
  const engine::Tensor trois = engine::from_vector(rois, {c.boxes, 5});
  const engine::Tensor out =
      engine::empty({c.boxes, c.channels, c.p.pooled_height, c.p.pooled_width});
  const engine::Tensor gx = engine::zeros(tx.shape()), magnitude = engine::zeros(tx.shape());
  kernels::cpu::roi_align(tx, trois, c.p, out);
  kernels::cpu::roi_align_backward(engine::from_vector(go, out.shape()), trois, c.p, gx);
  kernels::cpu::roi_align_backward(engine::from_vector(simt_test::abs_values(go), out.shape()),
                                   trois, c.p, magnitude);

  DeviceBuffer<float> dx(x), drois(rois), dgo(go), dout(go.size()),
      dgx(std::vector<float>(x.size(), 0.0f));
  dout.poison();
  kernels::cuda::roi_align_forward_f32(dx.get(), c.channels, c.height, c.width, drois.get(),
                                       c.boxes, c.p, dout.get(), nullptr);
  kernels::cuda::roi_align_backward_f32(dgo.get(), drois.get(), c.boxes, c.p, c.channels, c.height,
                                        c.width, dgx.get(), nullptr);
  // Same sample positions and weights; an average of at most grid_h * grid_w 4-tap blends of
  // values < 1 (a GPU may fuse the blend into fma).
  simt_test::expect_all_near(dout.download(), out.to_vector<float>(), 2e-6, what);
  // The backward adds the same terms in another (atomic) order.
  const std::vector<float> m = magnitude.to_vector<float>();
  simt_test::expect_all_near(
      dgx.download(), gx.to_vector<float>(), [&](std::size_t i) { return 1e-7 + 1e-5 * m[i]; },
      what + " backward");
}

TEST(CudaRoiAlignKernel, MatchesCpu) {
  check({2, 3, 13, 11, 9, {7, 7, 0.25, 2, false}}, 1);  // torchvision's box head setting, legacy
  check({2, 3, 13, 11, 9, {7, 7, 0.25, 2, true}}, 2);
  check({1, 2, 10, 12, 7, {5, 4, 0.5, 0, true}}, 3);  // adaptive sampling
  check({1, 2, 10, 12, 7, {5, 4, 0.5, 0, false}}, 4);
  check({3, 4, 8, 9, 12, {2, 3, 1.0, 3, true}}, 5);
  check({2, 5, 16, 16, 30, {7, 7, 0.125, 0, false}}, 6);  // several blocks
}

TEST(CudaRoiAlignKernel, NoBoxes) {
  check({1, 2, 5, 5, 0, {7, 7, 0.25, 2, true}}, 10);
}

}  // namespace
