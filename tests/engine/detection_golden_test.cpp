// Detection, selection and loss ops against torchvision 0.14 / PyTorch 1.13: outputs and input
// gradients match tests/golden/detection_ops.safetensors (written by gen_detection_ops.py).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/detection_ops.h"
#include "engine/io/safetensors.h"
#include "engine/losses.h"
#include "engine/select_ops.h"
#include "test_util.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_detection_ops.py";

const io::SafetensorsFile& golden() {
  static const io::SafetensorsFile file = [] {
    auto f = io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/detection_ops.safetensors");
    EXPECT_EQ(f.metadata.at("format_version"), "1") << kRegenerate;
    return f;
  }();
  return file;
}

const Tensor& g(const std::string& name) {
  return golden().at(name);
}

// f32 results: |got - want| <= atol + rtol |want| element by element.
void expect_close(
    const Tensor& got, const Tensor& want, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto gv = got.contiguous().to_vector<float>(), wv = want.to_vector<float>();
  for (std::size_t i = 0; i < gv.size(); ++i)
    ASSERT_LE(std::abs(gv[i] - wv[i]), atol + rtol * std::abs(wv[i]))
        << what << " element " << i << ": " << gv[i] << " vs torchvision " << wv[i] << "; "
        << kRegenerate;
}

void expect_equal_indices(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.dtype(), DType::i64) << what;
  EXPECT_EQ(got.to_vector<std::int64_t>(), want.to_vector<std::int64_t>())
      << what << "; " << kRegenerate;
}

Tensor grad_leaf(const Tensor& t) {
  Tensor leaf = t.clone();
  leaf.requires_grad_(true);
  return leaf;
}

struct RoiCase {
  const char* name;
  std::array<std::int64_t, 2> size;
  double scale;
  std::int64_t ratio;
  bool aligned;
};

TEST(DetectionGolden, RoiAlignForwardAndBackward) {
  const RoiCase cases[] = {
      {"s1_r0_legacy", {3, 3}, 1.0, 0, false},   {"s1_r2_legacy", {3, 3}, 1.0, 2, false},
      {"s1_r0_aligned", {3, 3}, 1.0, 0, true},   {"s05_r2_aligned", {2, 4}, 0.5, 2, true},
      {"s05_r0_legacy", {2, 4}, 0.5, 0, false},  {"s025_r0_aligned", {4, 2}, 0.25, 0, true},
      {"s025_r3_legacy", {4, 2}, 0.25, 3, false}};
  for (const RoiCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = std::string("roi_align.") + c.name;
    const Tensor x = grad_leaf(g("roi_align.x"));
    const Tensor out = roi_align(x, g("roi_align.rois"), c.size, c.scale, c.ratio, c.aligned);
    expect_close(out, g(key + ".out"), 1e-6, 1e-5, key + ".out");
    out.backward(g(key + ".grad_out"));
    expect_close(x.grad(), g(key + ".grad_x"), 1e-6, 1e-5, key + ".grad_x");
  }
}

TEST(DetectionGolden, MultiScaleRoiAlignAndLevelMapper) {
  std::vector<Tensor> features;
  for (int l = 0; l < 4; ++l) features.push_back(g("msroi.feat" + std::to_string(l)));
  const Tensor out =
      multi_scale_roi_align(features, g("msroi.boxes"), {0.25, 0.125, 0.0625, 0.03125}, {3, 3}, 2);
  expect_close(out, g("msroi.out"), 1e-6, 1e-5, "msroi.out");
  expect_equal_indices(fpn_level_assignment(g("levels.boxes"), 2, 5), g("levels.out"),
                       "levels.out");
}

TEST(DetectionGolden, NmsAndBatchedNmsWithTies) {
  for (const char* thr : {"03", "05", "07"}) {
    const double threshold = std::stod(std::string("0.") + (thr + 1));
    expect_equal_indices(nms(g("nms.boxes"), g("nms.scores"), threshold),
                         g(std::string("nms.keep") + thr), std::string("nms.keep") + thr);
    expect_equal_indices(batched_nms(g("nms.boxes"), g("nms.scores"), g("nms.idxs"), threshold),
                         g(std::string("nms.batched_keep") + thr),
                         std::string("nms.batched_keep") + thr);
  }
}

TEST(DetectionGolden, BoxIouAndBoxCoder) {
  expect_close(box_iou(g("box_iou.a"), g("box_iou.b")), g("box_iou.out"), 1e-7, 1e-6, "box_iou");
  expect_close(encode_boxes(g("coder.reference"), g("coder.proposals"), {10, 10, 5, 5}),
               g("coder.encode_10_10_5_5"), 1e-6, 1e-5, "encode");
  for (const auto& [name, weights] : {std::pair{"10_10_5_5", BoxWeights{10, 10, 5, 5}},
                                      std::pair{"1_1_1_1", BoxWeights{1, 1, 1, 1}}}) {
    const std::string key = std::string("coder.decode_") + name;
    const Tensor codes = grad_leaf(g("coder.codes"));
    const Tensor out = decode_boxes(codes, g("coder.proposals"), weights);
    expect_close(out, g(key), 1e-4, 1e-5, key);  // exp of up to 4.1 on ~50 px boxes: ulps of ~1e4
    out.backward(g(key + ".grad_out"));
    expect_close(codes.grad(), g(key + ".grad_codes"), 1e-4, 1e-5, key + ".grad_codes");
  }
}

// Runs a loss on leaf copies of `inputs`, checks the value, then backpropagates what the
// generator used (ones for a scalar, linspace(-1, 1) otherwise) and checks the first input's
// gradient.
void check_loss(const std::string& name,
                const std::function<Tensor(const Tensor&)>& fn,
                const Tensor& input) {
  SCOPED_TRACE(name);
  const Tensor x = grad_leaf(input);
  const Tensor out = fn(x);
  expect_close(out, g("loss." + name), 1e-6, 1e-5, name);
  if (out.dim() == 0) {
    out.backward();
  } else {
    out.backward(
        arange(-1.0, 1.0 + 1e-9, 2.0 / static_cast<double>(out.numel() - 1)).reshape(out.shape()));
  }
  expect_close(x.grad(), g("loss." + name + ".grad"), 1e-6, 1e-5, name + ".grad");
}

TEST(DetectionGolden, Losses) {
  const Tensor target = g("ce.target"), weight = g("ce.weight");
  check_loss(
      "ce_weighted_none",
      [&](const Tensor& x) { return cross_entropy(x, target, weight, -100, Reduction::none); },
      g("ce.logits"));
  check_loss(
      "ce_weighted_mean", [&](const Tensor& x) { return cross_entropy(x, target, weight); },
      g("ce.logits"));
  check_loss(
      "ce_weighted_sum",
      [&](const Tensor& x) { return cross_entropy(x, target, weight, -100, Reduction::sum); },
      g("ce.logits"));
  check_loss(
      "ce_plain_mean", [&](const Tensor& x) { return cross_entropy(x, target); }, g("ce.logits"));
  check_loss(
      "ce3_ignore7_mean", [&](const Tensor& x) { return cross_entropy(x, g("ce3.target"), {}, 7); },
      g("ce3.logits"));

  const Tensor t = g("bce.t");
  check_loss(
      "bce_mean", [&](const Tensor& x) { return binary_cross_entropy_with_logits(x, t); },
      g("bce.x"));
  check_loss(
      "bce_pw_w_sum",
      [&](const Tensor& x) {
        return binary_cross_entropy_with_logits(x, t, g("bce.weight"), g("bce.pos_weight"),
                                                Reduction::sum);
      },
      g("bce.x"));
  check_loss(
      "bce_pw_none",
      [&](const Tensor& x) {
        return binary_cross_entropy_with_logits(x, t, {}, g("bce.pos_weight"), Reduction::none);
      },
      g("bce.x"));

  const Tensor ft = g("focal.t");
  check_loss(
      "focal_none", [&](const Tensor& x) { return sigmoid_focal_loss(x, ft, 0.25, 2.0); },
      g("focal.x"));
  check_loss(
      "focal_mean",
      [&](const Tensor& x) { return sigmoid_focal_loss(x, ft, 0.25, 2.0, Reduction::mean); },
      g("focal.x"));
  check_loss(
      "focal_noalpha_g1_sum",
      [&](const Tensor& x) { return sigmoid_focal_loss(x, ft, -1, 1.0, Reduction::sum); },
      g("focal.x"));

  const Tensor y = g("reg.y");
  check_loss(
      "smooth_l1_b19_sum",
      [&](const Tensor& x) { return smooth_l1_loss(x, y, 1.0 / 9, Reduction::sum); }, g("reg.x"));
  check_loss(
      "smooth_l1_b1_mean", [&](const Tensor& x) { return smooth_l1_loss(x, y, 1.0); }, g("reg.x"));
  check_loss(
      "smooth_l1_b0_none",
      [&](const Tensor& x) { return smooth_l1_loss(x, y, 0.0, Reduction::none); }, g("reg.x"));
  check_loss(
      "l1_mean", [&](const Tensor& x) { return l1_loss(x, y); }, g("reg.x"));
  check_loss(
      "mse_sum", [&](const Tensor& x) { return mse_loss(x, y, Reduction::sum); }, g("reg.x"));
}

TEST(DetectionGolden, StableSortWithTiesAndNaN) {
  expect_equal_indices(argsort(g("sort.x")), g("sort.asc_idx"), "sort ascending");
  expect_equal_indices(argsort(g("sort.x"), -1, true), g("sort.desc_idx"), "sort descending");
}

}  // namespace
