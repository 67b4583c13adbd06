// kernels/cuda/box_ops.cu and nms.cu in emulation against the CPU oracle (kernels::cpu box_iou,
// encode/decode boxes, nms, batched_nms, fpn_levels): clustered boxes, tied scores, empty and
// degenerate boxes.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/box_ops.h"
#include "kernels/cpu/nms.h"
#include "kernels/cuda/box_ops.h"
#include "kernels/cuda/nms.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using simt_test::DeviceBuffer;

// Boxes around a few centres (so that many overlap), with positive size; box 1 is empty (a point).
std::vector<float> clustered_boxes(std::int64_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> centre(0.0f, 100.0f), jitter(-6.0f, 6.0f),
      size(4.0f, 30.0f);
  std::vector<std::array<float, 2>> centres(5);
  for (auto& c : centres) c = {centre(gen), centre(gen)};
  std::vector<float> boxes;
  for (std::int64_t k = 0; k < n; ++k) {
    const auto& c = centres[static_cast<std::size_t>(k) % centres.size()];
    const float cx = c[0] + jitter(gen), cy = c[1] + jitter(gen);
    const float w = k == 1 ? 0.0f : size(gen), h = k == 1 ? 0.0f : size(gen);
    boxes.insert(boxes.end(), {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
  }
  return boxes;
}

// Scores on a coarse grid so that ties are common (they must keep input order).
std::vector<float> tied_scores(std::int64_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> level(1, 12);
  std::vector<float> scores(static_cast<std::size_t>(n));
  for (float& s : scores) s = static_cast<float>(level(gen)) / 16.0f;
  return scores;
}

std::vector<std::int64_t> cuda_nms(const std::vector<float>& boxes,
                                   const std::vector<float>& scores,
                                   const std::vector<std::int64_t>* groups,
                                   double threshold) {
  const auto n = static_cast<std::int64_t>(scores.size());
  DeviceBuffer<float> dboxes(boxes), dscores(scores);
  DeviceBuffer<std::int64_t> dgroups(groups != nullptr ? *groups : std::vector<std::int64_t>{}),
      kept(scores.size()), count(1);
  DeviceBuffer<unsigned char> workspace(kernels::cuda::nms_workspace_bytes(n));
  kept.poison();
  count.poison();
  kernels::cuda::nms_f32(dboxes.get(), dscores.get(), groups != nullptr ? dgroups.get() : nullptr,
                         n, threshold, workspace.get(), kept.get(), count.get(), nullptr);
  const std::int64_t kept_count = count.download()[0];
  std::vector<std::int64_t> result = kept.download();
  EXPECT_GE(kept_count, 0);
  result.resize(static_cast<std::size_t>(std::max<std::int64_t>(kept_count, 0)));
  return result;
}

void check_nms(std::int64_t n, double threshold, bool batched, std::uint32_t seed) {
  const std::vector<float> boxes = clustered_boxes(n, seed), scores = tied_scores(n, seed + 1);
  std::vector<std::int64_t> groups(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < groups.size(); ++i)
    groups[i] = static_cast<std::int64_t>((i * 7 + seed) % 3);
  const engine::Tensor tboxes = engine::from_vector(boxes, {n, 4}),
                       tscores = engine::from_vector(scores);
  const engine::Tensor want =
      batched ? kernels::cpu::batched_nms(tboxes, tscores, engine::from_vector(groups), threshold)
              : kernels::cpu::nms(tboxes, tscores, threshold);
  EXPECT_EQ(cuda_nms(boxes, scores, batched ? &groups : nullptr, threshold),
            want.to_vector<std::int64_t>())
      << (batched ? "batched_nms" : "nms") << " of " << n << " boxes at IoU " << threshold;
}

TEST(CudaNmsKernel, MatchesCpuIncludingTies) {
  std::uint32_t seed = 1;
  for (std::int64_t n : {1, 2, 63, 64, 65, 200})
    for (double t : {0.3, 0.5, 0.7}) check_nms(n, t, false, seed += 3);
  check_nms(150, 0.0, false, 50);  // any overlap suppresses
  check_nms(150, 1.0, false, 51);  // nothing is suppressed
}

TEST(CudaNmsKernel, BatchedSuppressesWithinGroupsOnly) {
  check_nms(130, 0.5, true, 60);
  check_nms(65, 0.3, true, 61);
}

TEST(CudaNmsKernel, NoBoxesKeepsNothing) {
  EXPECT_TRUE(cuda_nms({}, {}, nullptr, 0.5).empty());
}

TEST(CudaNmsKernel, MoreBoxesThanTheSharedBitmaskHoldsAreRefused) {
  // 400000 boxes need 50000 bytes of removal bits in shared memory (the limit is 48 KiB);
  // refused before anything is read or launched.
  std::int64_t count = 0;
  EXPECT_THROW(kernels::cuda::nms_f32(nullptr, nullptr, nullptr, 400000, 0.5, nullptr, nullptr,
                                      &count, nullptr),
               std::invalid_argument);
}

TEST(CudaBoxKernel, IouMatrix) {
  for (const auto& [n, m] : {std::array<std::int64_t, 2>{7, 5}, {1, 70}, {40, 33}, {0, 4}}) {
    const std::vector<float> a = clustered_boxes(n, 70 + static_cast<std::uint32_t>(n)),
                             b = clustered_boxes(m, 80 + static_cast<std::uint32_t>(m));
    const engine::Tensor out = engine::empty({n, m});
    kernels::cpu::box_iou(engine::from_vector(a, {n, 4}), engine::from_vector(b, {m, 4}), out);
    DeviceBuffer<float> da(a), db(b), dout(static_cast<std::size_t>(n * m));
    dout.poison();
    kernels::cuda::box_iou_f32(da.get(), n, db.get(), m, dout.get(), nullptr);
    // The oracle's float operations unfused: exact.
    simt_test::expect_all_near(dout.download(), out.to_vector<float>(), 0.0,
                               "box_iou " + std::to_string(n) + "x" + std::to_string(m));
  }
}

TEST(CudaBoxKernel, EncodeDecodeAndDecodeBackward) {
  const std::int64_t k = 37, classes = 3;
  const std::array<double, 4> weights{10.0, 10.0, 5.0, 5.0};
  const double clip = std::log(1000.0 / 16.0);
  std::vector<float> proposals = clustered_boxes(k, 90), reference = clustered_boxes(k, 91);
  proposals[4 * 1 + 2] += 1.0f;  // no empty boxes here: encode divides by the proposal size
  proposals[4 * 1 + 3] += 1.0f;
  reference[4 * 1 + 2] += 1.0f;
  reference[4 * 1 + 3] += 1.0f;
  std::vector<float> codes =
      simt_test::random_floats(static_cast<std::size_t>(k * classes * 4), 92, -2.0f, 2.0f);
  codes[2] = 30.0f;  // above the clamp: dw is clipped and its gradient is 0
  const std::vector<float> grad = simt_test::random_floats(codes.size(), 93);
  const engine::Tensor tp = engine::from_vector(proposals, {k, 4}),
                       tr = engine::from_vector(reference, {k, 4});
  const engine::Tensor tcodes = engine::from_vector(codes, {k, 4 * classes});
  const engine::Tensor encoded = engine::empty({k, 4}), decoded = engine::empty(tcodes.shape()),
                       grad_codes = engine::empty(tcodes.shape());
  kernels::cpu::encode_boxes(tr, tp, weights, encoded);
  kernels::cpu::decode_boxes(tcodes, tp, weights, clip, decoded);
  kernels::cpu::decode_boxes_backward(engine::from_vector(grad, tcodes.shape()), tcodes, tp,
                                      weights, clip, grad_codes);

  DeviceBuffer<float> dp(proposals), dr(reference), dcodes(codes), dgrad(grad),
      denc(proposals.size()), ddec(codes.size()), dgc(codes.size());
  for (auto* b : {&denc, &ddec, &dgc}) b->poison();
  kernels::cuda::encode_boxes_f32(dr.get(), dp.get(), k, weights, denc.get(), nullptr);
  kernels::cuda::decode_boxes_f32(dcodes.get(), dp.get(), k, classes, weights, clip, ddec.get(),
                                  nullptr);
  kernels::cuda::decode_boxes_backward_f32(dgrad.get(), dcodes.get(), dp.get(), k, classes, weights,
                                           clip, dgc.get(), nullptr);
  // log/exp within a few ulp: relative 1e-6 of codes ~ 10 and of coordinates ~ 100..1e4.
  const auto relative = [](const std::vector<float>& want) {
    return [&want](std::size_t i) { return 1e-6 + 1e-6 * std::abs(want[i]); };
  };
  const std::vector<float> e = encoded.to_vector<float>(), d = decoded.to_vector<float>(),
                           g = grad_codes.to_vector<float>();
  simt_test::expect_all_near(denc.download(), e, relative(e), "encode_boxes");
  simt_test::expect_all_near(ddec.download(), d, relative(d), "decode_boxes");
  simt_test::expect_all_near(dgc.download(), g, relative(g), "decode_boxes_backward");
}

TEST(CudaBoxKernel, FpnLevelsMatchTheCpu) {
  // Clustered boxes scaled over the pyramid's range, box 1 empty, then inverted and NaN boxes.
  std::vector<float> boxes = clustered_boxes(300, 11);
  for (std::size_t i = 0; i < boxes.size(); ++i) boxes[i] *= 1.0f + static_cast<float>(i % 40);
  boxes.insert(boxes.end(), {5, 5, 1, 9, 0, 0, NAN, 3, 0, 0, 1e30f, 1e30f});
  const auto k = static_cast<std::int64_t>(boxes.size() / 4);
  const kernels::cpu::LevelMapping m{2, 5, 224, 4, 1e-6};
  const engine::Tensor want = engine::empty({k}, {.dtype = engine::DType::i64});
  kernels::cpu::fpn_levels(engine::from_vector(boxes, {k, 4}), m, want);
  DeviceBuffer<float> dboxes(boxes);
  DeviceBuffer<std::int64_t> out(static_cast<std::size_t>(k));
  out.poison();
  kernels::cuda::fpn_levels_f32(dboxes.get(), k,
                                {m.k_min, m.k_max, m.canonical_scale, m.canonical_level, m.eps},
                                out.get(), nullptr);
  EXPECT_EQ(out.download(), want.to_vector<std::int64_t>());
}

}  // namespace
