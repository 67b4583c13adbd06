// Detection ops against hand-computed values and their documented edge cases: RoIAlign geometry
// and boundaries, FPN levels, NMS ties and degenerate boxes, box coder, gradchecks, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/detection_ops.h"
#include "test_util.h"

using namespace engine;
using test_util::expect_close;
using test_util::ints;
using test_util::leaf;
using test_util::values;
using Inputs = std::vector<Tensor>;

namespace {

Tensor f64(const std::vector<double>& v, const Shape& shape) {
  return from_vector<double>(v, shape);
}

// A [1, 1, H, W] map holding the linear function 2 y + 3 x + 1, which bilinear sampling reproduces
// exactly.
Tensor linear_map(std::int64_t h, std::int64_t w) {
  std::vector<double> v;
  for (std::int64_t y = 0; y < h; ++y)
    for (std::int64_t x = 0; x < w; ++x)
      v.push_back(2.0 * static_cast<double>(y) + 3.0 * static_cast<double>(x) + 1);
  return f64(v, {1, 1, h, w});
}

TEST(RoiAlign, LinearMapGivesBinCentres) {
  // Sampling points symmetric in each bin and inside the map: the mean is the value at the bin
  // centre.
  const Tensor x = linear_map(10, 12);
  for (bool aligned : {false, true})
    for (std::int64_t ratio : {0, 2, 3}) {
      SCOPED_TRACE(testing::Message() << "aligned " << aligned << " ratio " << ratio);
      const double x1 = 1.5, y1 = 2.5, x2 = 7.5, y2 = 6.5, off = aligned ? 0.5 : 0.0;
      const Tensor out =
          roi_align(x, f64({0, x1, y1, x2, y2}, {1, 5}), {2, 3}, 1.0, ratio, aligned);
      ASSERT_EQ(out.shape(), (Shape{1, 1, 2, 3}));
      std::vector<double> want;
      for (int ph = 0; ph < 2; ++ph)
        for (int pw = 0; pw < 3; ++pw)
          want.push_back(2 * (y1 - off + (ph + 0.5) * (y2 - y1) / 2) +
                         3 * (x1 - off + (pw + 0.5) * (x2 - x1) / 3) + 1);
      expect_close(values(out), want, 1e-12);
    }
}

TEST(RoiAlign, SpatialScaleAndBatchIndex) {
  // Image 1 holds the linear map; a box in image units at scale 1/4 lands on feature pixels / 4.
  const Tensor x = cat({zeros({1, 1, 8, 8}, {.dtype = DType::f64}), linear_map(8, 8)}, 0);
  const Tensor out = roi_align(x, f64({1, 8, 4, 24, 20}, {1, 5}), {1, 1}, 0.25, 2, false);
  // Feature box (2, 1)-(6, 5): centre (4, 3) -> 2 * 3 + 3 * 4 + 1.
  expect_close(values(out), {19}, 1e-12);
  const Tensor other = roi_align(x, f64({0, 8, 4, 24, 20}, {1, 5}), {1, 1}, 0.25, 2, false);
  expect_close(values(other), {0}, 0);
}

TEST(RoiAlign, BoundaryRules) {
  const Tensor x = full({1, 1, 4, 4}, 5.0, {.dtype = DType::f64});
  // Entirely beyond one pixel outside the map: every sample is dropped -> 0.
  expect_close(values(roi_align(x, f64({0, -9, -9, -3, -3}, {1, 5}), {2, 2}, 1.0, 2, false)),
               {0, 0, 0, 0}, 0);
  // Samples in [-1, 0] are clamped onto the border and keep the full value of a constant map.
  expect_close(values(roi_align(x, f64({0, -0.9, -0.9, 0.1, 0.1}, {1, 5}), {1, 1}, 1.0, 2, false)),
               {5}, 1e-12);
  // Samples past the last row/column up to H replicate the border.
  expect_close(values(roi_align(x, f64({0, 3.2, 3.2, 3.9, 3.9}, {1, 5}), {1, 1}, 1.0, 2, true)),
               {5}, 1e-12);
  // Half of the 2x2 samples of a bin beyond -1 contribute 0, the count stays 4 (torchvision divides
  // by the grid).
  expect_close(values(roi_align(x, f64({0, -2.5, 1, -0.5, 2}, {1, 5}), {1, 1}, 1.0, 2, false)),
               {2.5}, 1e-12);
}

TEST(RoiAlign, AdaptiveSamplingCount) {
  // Box 6 px wide -> ceil(6 / 2) = 3 samples per bin side along x; a map that is 1 at x = 0.5 + k
  // columns only would differ between 2 and 3 samples, so compare with an explicit ratio 3.
  Generator gen(7);
  const Tensor x = rand({1, 2, 9, 9}, gen, {.dtype = DType::f64});
  const Tensor rois = f64({0, 0.3, 1.1, 6.3, 5.1}, {1, 5});  // 6 x 4 -> grid 3 x 2 for a 2x2 output
  const Tensor adaptive = roi_align(x, rois, {2, 2}, 1.0, 0, false);
  const Tensor manual_rows = roi_align(x, rois, {2, 2}, 1.0, 2, false);
  EXPECT_GT(std::abs(values(adaptive)[0] - values(manual_rows)[0]),
            1e-6);  // the grids really differ
  // Reference: the mean over a 2 (y) x 3 (x) grid of exact bilinear samples.
  const auto xv = values(x);
  auto bilinear = [&](int c, double y, double xx) {
    const int y0 = static_cast<int>(y), x0 = static_cast<int>(xx);
    const double ly = y - y0, lx = xx - x0;
    auto at = [&](int r, int q) { return xv[static_cast<std::size_t>(c * 81 + r * 9 + q)]; };
    return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x0 + 1) +
           ly * (1 - lx) * at(y0 + 1, x0) + ly * lx * at(y0 + 1, x0 + 1);
  };
  std::vector<double> want;
  for (int c = 0; c < 2; ++c)
    for (int ph = 0; ph < 2; ++ph)
      for (int pw = 0; pw < 2; ++pw) {
        double acc = 0;
        for (int iy = 0; iy < 2; ++iy)
          for (int ix = 0; ix < 3; ++ix)
            acc += bilinear(c, 1.1 + ph * 2 + (iy + 0.5) * 1.0, 0.3 + pw * 3 + (ix + 0.5) * 1.0);
        want.push_back(acc / 6);
      }
  expect_close(values(adaptive), want, 1e-12);
}

TEST(RoiAlign, InvertedBoxes) {
  const Tensor x = full({1, 1, 6, 6}, 2.0, {.dtype = DType::f64});
  const Tensor inverted = f64({0, 4, 4, 1, 1}, {1, 5});
  // aligned: negative size -> adaptive grid <= 0 -> no samples -> 0 (torchvision's arithmetic).
  expect_close(values(roi_align(x, inverted, {2, 2}, 1.0, 0, true)), {0, 0, 0, 0}, 0);
  // legacy: the size is forced to at least 1 pixel, so the box samples near (4, 4).
  expect_close(values(roi_align(x, inverted, {2, 2}, 1.0, 0, false)), {2, 2, 2, 2}, 1e-12);
}

TEST(RoiAlign, GradcheckWithRespectToInput) {
  // roi_align is linear in x, so finite differences are exact whatever the box geometry.
  const Tensor x = leaf({2, 3, 6, 7}, 21);
  const Tensor rois =
      f64({0, 0.7, 1.2, 5.3, 4.9, 1, -1.4, 2.2, 3.3, 7.6, 1, 2.1, 0.4, 30, 25, 0, 3, 3, 3.4, 3.2},
          {4, 5});
  for (bool aligned : {false, true})
    for (std::int64_t ratio : {0, 2}) {
      SCOPED_TRACE(testing::Message() << "aligned " << aligned << " ratio " << ratio);
      EXPECT_GRADCHECK(
          [&](const Inputs& in) {
            return roi_align(in[0], rois, {3, 2}, 0.5, ratio, aligned);
          },
          Inputs{x});
    }
  // A non-contiguous input.
  const Tensor xt = leaf({2, 3, 7, 6}, 22).detach().transpose(2, 3);
  Tensor xt_leaf = xt;
  xt_leaf.requires_grad_(true);
  EXPECT_GRADCHECK(
      [&](const Inputs& in) {
        return roi_align(in[0], rois, {2, 2}, 1.0, 2, true);
      },
      Inputs{xt_leaf});
}

TEST(RoiAlign, EmptyBoxListAndBadInput) {
  const Tensor x = leaf({2, 3, 6, 7}, 23);
  const Tensor none = roi_align(x, zeros({0, 5}, {.dtype = DType::f64}), {7, 7}, 1.0, 2, false);
  EXPECT_EQ(none.shape(), (Shape{0, 3, 7, 7}));
  sum(none).backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>(static_cast<std::size_t>(x.numel()), 0.0));

  const Tensor roi = f64({0, 1, 1, 3, 3}, {1, 5});
  EXPECT_THROW(roi_align(x.detach().reshape({6, 6, 7}), roi, {2, 2}), Error);  // rank
  EXPECT_THROW(roi_align(x, f64({1, 1, 3, 3}, {1, 4}), {2, 2}), Error);        // rois [K, 4]
  EXPECT_THROW(roi_align(x, roi.to(DType::f32), {2, 2}), Error);               // dtype
  EXPECT_THROW(roi_align(zeros({1, 3, 0, 7}, {.dtype = DType::f64}), roi, {2, 2}),
               Error);                                                        // empty map
  EXPECT_THROW(roi_align(x, roi, {0, 2}), Error);                             // output size
  EXPECT_THROW(roi_align(x, f64({2, 1, 1, 3, 3}, {1, 5}), {2, 2}), Error);    // batch index
  EXPECT_THROW(roi_align(x, f64({0.5, 1, 1, 3, 3}, {1, 5}), {2, 2}), Error);  // fractional index
  const double nan = std::numeric_limits<double>::quiet_NaN();
  try {
    roi_align(x, f64({0, 1, nan, 3, 3}, {1, 5}), {2, 2});
    ADD_FAILURE() << "NaN box accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite"), std::string::npos) << e.what();
  }
}

TEST(RoiAlign, BoxesToRois) {
  const Tensor rois =
      boxes_to_rois({f64({1, 2, 3, 4}, {1, 4}), zeros({0, 4}, {.dtype = DType::f64}),
                     f64({5, 6, 7, 8, 9, 10, 11, 12}, {2, 4})});
  EXPECT_EQ(rois.shape(), (Shape{3, 5}));
  expect_close(values(rois), {0, 1, 2, 3, 4, 2, 5, 6, 7, 8, 2, 9, 10, 11, 12}, 0);
}

TEST(FpnLevels, TorchvisionLevelMapper) {
  // Sides 56 -> level 2, 112 -> 3, 224 -> 4, 448 -> 5, 2000 -> clamped to 5, 10 -> clamped to 2.
  const Tensor boxes = f64({0, 0, 56,   56,   0, 0, 112, 112, 0, 0, 224, 224,    0, 0, 448, 448,
                            0, 0, 2000, 2000, 0, 0, 10,  10,  0, 0, 100, 125.44, 5, 5, 1,   9},
                           {8, 4});
  // 100 x 125.44 has sqrt(area) = 112 -> level 3; the inverted box has negative area -> finest.
  EXPECT_EQ(ints(fpn_level_assignment(boxes, 2, 5)),
            (std::vector<std::int64_t>{0, 1, 2, 3, 3, 0, 1, 0}));
  EXPECT_EQ(ints(fpn_level_assignment(boxes, 3, 4)),
            (std::vector<std::int64_t>{0, 0, 1, 1, 1, 0, 0, 0}));
  EXPECT_THROW(fpn_level_assignment(boxes, 5, 2), Error);
}

TEST(FpnLevels, MultiScaleRoiAlignPicksLevelsAndGradchecks) {
  // Two levels (scales 1/4, 1/8, so k_min = 2): boxes under 112 px read level 0, larger ones
  // level 1.
  const Tensor f0 = leaf({1, 2, 16, 16}, 31), f1 = leaf({1, 2, 8, 8}, 32);
  const Tensor rois =
      f64({0, 4, 4, 40, 36, 0, 0, 0, 120, 120, 0, 10, 20, 30, 50}, {3, 5});  // sides ~34, 120, ~24
  const Tensor out = multi_scale_roi_align({f0, f1}, rois, {0.25, 0.125}, {2, 2}, 2);
  const Tensor small = roi_align(f0, rois.narrow(0, 0, 1), {2, 2}, 0.25, 2);
  const Tensor large = roi_align(f1, rois.narrow(0, 1, 1), {2, 2}, 0.125, 2);
  expect_close(values(out.narrow(0, 0, 1)), values(small), 0);
  expect_close(values(out.narrow(0, 1, 1)), values(large), 0);
  EXPECT_GRADCHECK(
      [&](const Inputs& in) {
        return multi_scale_roi_align(in, rois, {0.25, 0.125}, {2, 2}, 2);
      },
      (Inputs{f0, f1}));
  const Tensor no_rois = zeros({0, 5}, {.dtype = DType::f64});
  EXPECT_EQ(multi_scale_roi_align({f0, f1}, no_rois, {0.25, 0.125}, {2, 2}).shape(),
            (Shape{0, 2, 2, 2}));
  EXPECT_THROW(multi_scale_roi_align({f0, f1}, rois, {0.25, 0.2}, {2, 2}), Error);  // not halving
  EXPECT_THROW(multi_scale_roi_align({f0}, rois, {0.25, 0.125}, {2, 2}), Error);  // count mismatch
}

TEST(Nms, HandExampleAndThresholdIsStrict) {
  // Boxes 0 and 1 overlap with IoU 50 / 150 = 1/3; box 2 is apart.
  const Tensor boxes = f64({0, 0, 10, 10, 5, 0, 15, 10, 20, 20, 30, 30}, {3, 4});
  const Tensor scores = f64({0.9, 0.8, 0.7}, {3});
  EXPECT_EQ(ints(nms(boxes, scores, 0.3)), (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(ints(nms(boxes, scores, 0.5)), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(ints(nms(boxes, scores, 1.0 / 3.0)),
            (std::vector<std::int64_t>{0, 1, 2}));  // IoU > thr only
  // f32 boxes: the IoU rounds to float(1/3) > 1/3, and torchvision compares it with the double
  // threshold, so here the box is suppressed.
  EXPECT_EQ(ints(nms(boxes.to(DType::f32), scores.to(DType::f32), 1.0 / 3.0)),
            (std::vector<std::int64_t>{0, 2}));
  // A lower score on box 0 lets box 1 win.
  EXPECT_EQ(ints(nms(boxes, f64({0.5, 0.8, 0.7}, {3}), 0.3)), (std::vector<std::int64_t>{1, 2}));
}

TEST(Nms, TiesKeepInputOrder) {
  // Four identical boxes with equal scores: the first index survives; equal-score survivors keep
  // index order.
  const Tensor boxes =
      f64({0, 0, 4, 4, 0, 0, 4, 4, 10, 10, 14, 14, 0, 0, 4, 4, 20, 20, 24, 24}, {5, 4});
  const Tensor scores = f64({0.5, 0.5, 0.5, 0.5, 0.9}, {5});
  EXPECT_EQ(ints(nms(boxes, scores, 0.5)), (std::vector<std::int64_t>{4, 0, 2}));
}

TEST(Nms, BatchedNmsSuppressesWithinClassOnly) {
  const Tensor boxes = f64({0, 0, 10, 10, 1, 1, 10, 10, 0, 0, 10, 10, 50, 50, 60, 60}, {4, 4});
  const Tensor scores = f64({0.9, 0.8, 0.7, 0.95}, {4});
  const Tensor classes = from_vector<std::int64_t>({0, 0, 1, 0});
  EXPECT_EQ(ints(batched_nms(boxes, scores, classes, 0.5)), (std::vector<std::int64_t>{3, 0, 2}));
  EXPECT_EQ(ints(batched_nms(boxes, scores, classes.to(DType::i32), 0.5)),
            (std::vector<std::int64_t>{3, 0, 2}));
  EXPECT_EQ(ints(nms(boxes, scores, 0.5)), (std::vector<std::int64_t>{3, 0}));
}

TEST(Nms, EmptyDegenerateAndBadInput) {
  const Tensor empty_boxes = zeros({0, 4}), empty_scores = zeros({0});
  const Tensor keep = nms(empty_boxes, empty_scores, 0.5);
  EXPECT_EQ(keep.dtype(), DType::i64);
  EXPECT_EQ(keep.shape(), (Shape{0}));
  EXPECT_EQ(batched_nms(empty_boxes, empty_scores, zeros({0}, {.dtype = DType::i64}), 0.5).shape(),
            (Shape{0}));
  // An inverted box (x2 < x1) overlaps nothing: it is neither suppressed nor suppresses.
  const Tensor boxes = f64({0, 0, 10, 10, 10, 0, 0, 10, 0, 0, 10, 10}, {3, 4});
  EXPECT_EQ(ints(nms(boxes, f64({0.9, 0.95, 0.8}, {3}), 0.5)), (std::vector<std::int64_t>{1, 0}));
  // -inf scores are ordinary (lowest) scores.
  const double inf = std::numeric_limits<double>::infinity(),
               nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ints(nms(f64({0, 0, 1, 1, 5, 5, 6, 6}, {2, 4}), f64({-inf, 0.1}, {2}), 0.5)),
            (std::vector<std::int64_t>{1, 0}));
  // NaN scores or coordinates are errors naming the problem.
  try {
    nms(boxes, f64({0.9, nan, 0.8}, {3}), 0.5);
    ADD_FAILURE() << "NaN score accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("scores"), std::string::npos) << e.what();
  }
  EXPECT_THROW(nms(f64({0, 0, nan, 1}, {1, 4}), f64({1}, {1}), 0.5), Error);
  EXPECT_THROW(nms(f64({0, 0, inf, 1}, {1, 4}), f64({1}, {1}), 0.5), Error);
  EXPECT_THROW(nms(boxes, f64({0.9, 0.8}, {2}), 0.5), Error);                     // score count
  EXPECT_THROW(nms(boxes.reshape({12}), f64({0.9, 0.8, 0.1}, {3}), 0.5), Error);  // rank
  EXPECT_THROW(nms(boxes, from_vector<float>({0.9f, 0.8f, 0.1f}), 0.5), Error);   // dtype
  EXPECT_THROW(batched_nms(boxes, f64({0.9, 0.8, 0.1}, {3}), f64({0, 1, 2}, {3}), 0.5),
               Error);  // float idxs
}

TEST(BoxOps, IouAreaAndZeroUnion) {
  const Tensor a = f64({0, 0, 10, 10, 0, 0, 0, 0}, {2, 4}),
               b = f64({5, 0, 15, 10, 0, 0, 10, 10, 0, 0, 0, 0}, {3, 4});
  expect_close(values(box_iou(a, b)), {50.0 / 150, 1, 0, 0, 0, 0},
               1e-15);  // empty vs empty: 0, not NaN
  EXPECT_EQ(box_iou(a, zeros({0, 4}, {.dtype = DType::f64})).shape(), (Shape{2, 0}));
  expect_close(values(box_area(b)), {100, 100, 0}, 0);
  EXPECT_THROW(box_iou(a, b.to(DType::f32)), Error);
  EXPECT_THROW(box_iou(a.reshape({8}), b), Error);
}

TEST(BoxOps, EncodeDecodeRoundTripAndClamp) {
  const Tensor proposals = f64({10, 20, 50, 40, 0, 0, 8, 16, 3.5, 7.25, 100, 60}, {3, 4});
  const Tensor reference = f64({12, 18, 47, 45, 1, -2, 9, 20, 0, 10, 90, 70}, {3, 4});
  for (const BoxWeights& w : {BoxWeights{1, 1, 1, 1}, BoxWeights{10, 10, 5, 5}}) {
    const Tensor codes = encode_boxes(reference, proposals, w);
    expect_close(values(decode_boxes(codes, proposals, w)), values(reference), 1e-12);
  }
  // Hand value: proposal 0 is 40 x 20 centred (30, 30); reference 0 is 35 x 27 centred
  // (29.5, 31.5).
  expect_close(values(encode_boxes(reference, proposals, {10, 10, 5, 5}).select(0, 0)),
               {10 * -0.5 / 40, 10 * 1.5 / 20, 5 * std::log(35.0 / 40), 5 * std::log(27.0 / 20)},
               1e-12);
  // dw beyond log(1000/16) is clamped: the width grows by exactly 1000/16.
  const Tensor big =
      decode_boxes(f64({0, 0, 10, 0}, {1, 4}), f64({0, 0, 16, 16}, {1, 4}), {1, 1, 1, 1});
  expect_close(values(big), {8 - 500, 0, 8 + 500, 16}, 1e-9);
  // Several classes per box: [K, 4 * C].
  EXPECT_EQ(decode_boxes(zeros({3, 12}, {.dtype = DType::f64}), proposals, {1, 1, 1, 1}).shape(),
            (Shape{3, 12}));
  expect_close(values(decode_boxes(zeros({3, 8}, {.dtype = DType::f64}), proposals, {10, 10, 5, 5})
                          .narrow(1, 4, 4)),
               values(proposals), 1e-12);
}

TEST(BoxOps, DecodeGradcheckIncludingClampedCodes) {
  const Tensor boxes = f64({10, 20, 50, 40, 0, 0, 8, 16}, {2, 4});
  // Element 6 (dw of box 1, class 0 after / 5) sits beyond the clamp: its gradient is 0.
  const Tensor codes =
      f64({0.3, -0.2, 0.5, -1.1, 0.7, 0.1, 30, 0.4, -0.6, 0.9, 1.2, 0.05, 2.0, -1.5, -0.3, 0.8},
          {2, 8});
  Tensor leaf_codes = codes;
  leaf_codes.requires_grad_(true);
  EXPECT_GRADCHECK(
      [&](const Inputs& in) {
        return decode_boxes(in[0], boxes, {10, 10, 5, 5});
      },
      Inputs{leaf_codes});
  sum(decode_boxes(leaf_codes, boxes, {10, 10, 5, 5})).backward();
  EXPECT_EQ(values(leaf_codes.grad())[6], 0.0);
  EXPECT_THROW(decode_boxes(codes.narrow(1, 0, 6), boxes, {1, 1, 1, 1}),
               Error);                                            // not a multiple of 4
  EXPECT_THROW(decode_boxes(codes, boxes, {1, 0, 1, 1}), Error);  // zero weight
}

TEST(BoxOps, ClipAndRemoveSmall) {
  const Tensor boxes = f64({-5, -3, 20, 8, 2, 3, 9, 40, 12, 1, 30, 7}, {3, 4});
  expect_close(values(clip_boxes_to_image(boxes, 10, 16)), {0, 0, 16, 8, 2, 3, 9, 10, 12, 1, 16, 7},
               0);
  EXPECT_EQ(clip_boxes_to_image(boxes.reshape({1, 3, 4}), 10, 16).shape(), (Shape{1, 3, 4}));
  // Gradient passes only where a coordinate was not clipped.
  Tensor x = boxes.clone();
  x.requires_grad_(true);
  sum(clip_boxes_to_image(x, 10, 16)).backward();
  expect_close(values(x.grad()), {0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1}, 0);
  EXPECT_GRADCHECK([](const Inputs& in) { return clip_boxes_to_image(in[0], 10, 16); },
                   Inputs{leaf({4, 4}, 41, -3.0, 20.0)});

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor mixed =
      f64({0, 0, 5, 5, 0, 0, 0.5, 9, 1, 1, 2, 2, 0, 0, nan, 3, 4, 4, 3, 9}, {5, 4});
  EXPECT_EQ(ints(remove_small_boxes(mixed, 1.0)), (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(remove_small_boxes(zeros({0, 4}), 1.0).shape(), (Shape{0}));
}

}  // namespace
