// Anchors and detector heads against torchvision: AnchorGenerator's boxes, and the RPN head,
// TwoMLPHead and FastRCNNPredictor outputs on formula weights; flattening order; the energy head.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "formula_weights.h"
#include "models/anchors.h"
#include "models/heads.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_detector_heads.py";

const io::SafetensorsFile& golden() {
  static const io::SafetensorsFile file =
      io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/detector_heads.safetensors");
  return file;
}

using test_formula::load_formula;

void expect_close(const Tensor& got, const Tensor& want, double atol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what << "; " << kRegenerate;
  const auto g = got.contiguous().to_vector<float>(), w = want.to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], w[i], atol + 1e-5 * std::abs(w[i]))
        << what << " element " << i << "; " << kRegenerate;
}

TEST(DetectorHeads, AnchorsMatchTorchvision) {
  ASSERT_EQ(golden().metadata.at("format_version"), "1") << kRegenerate;
  const Tensor anchors =
      models::make_anchors({}, {{24, 32}, {12, 16}, {6, 8}, {3, 4}, {2, 2}}, {96, 128});
  expect_close(anchors, golden().at("anchors"), 0, "anchors");
}

TEST(DetectorHeads, RpnHeadMatchesTorchvisionAndFlattensInAnchorOrder) {
  models::RpnHead head(8, 3);
  EXPECT_EQ(head.state_dict().front().first, "conv.0.0.weight");
  load_formula(head);
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> levels;
  for (int i = 0; i < 2; ++i) {
    levels.push_back(golden().at("rpn.in" + std::to_string(i)));
    const auto [logits, deltas] = head.level(levels.back());
    expect_close(logits, golden().at("rpn.objectness" + std::to_string(i)), 1e-5, "objectness");
    expect_close(deltas, golden().at("rpn.deltas" + std::to_string(i)), 1e-5, "deltas");
  }
  // Flattened element [n, (h * W + w) * A + a] of level 0 is raw[n, a, h, w].
  const auto flat = head.predict(levels);
  EXPECT_EQ(flat.objectness.shape(), (Shape{2, (5 * 6 + 3 * 3) * 3}));
  EXPECT_EQ(flat.deltas.shape(), (Shape{2, (5 * 6 + 3 * 3) * 3, 4}));
  const Tensor raw = golden().at("rpn.objectness0"), raw_deltas = golden().at("rpn.deltas0");
  const auto o = flat.objectness.contiguous().to_vector<float>(), r = raw.to_vector<float>();
  const auto d = flat.deltas.contiguous().to_vector<float>(), rd = raw_deltas.to_vector<float>();
  const std::int64_t total = (5 * 6 + 3 * 3) * 3;
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t h = 0; h < 5; ++h)
      for (std::int64_t w = 0; w < 6; ++w)
        for (std::int64_t a = 0; a < 3; ++a) {
          const std::int64_t flat_index = n * total + (h * 6 + w) * 3 + a;
          EXPECT_NEAR(o[flat_index], r[((n * 3 + a) * 5 + h) * 6 + w], 1e-5);
          for (std::int64_t c = 0; c < 4; ++c)
            EXPECT_NEAR(d[flat_index * 4 + c], rd[((n * 12 + a * 4 + c) * 5 + h) * 6 + w], 1e-5);
        }
}

TEST(DetectorHeads, BoxHeadAndPredictorMatchTorchvision) {
  models::TwoMlpHead box_head(4 * 7 * 7, 32);
  models::BoxPredictor predictor(32, 6);
  load_formula(box_head);
  load_formula(predictor);
  autograd::NoGradGuard no_grad;
  const Tensor rep = box_head.forward(golden().at("box.in"));
  expect_close(rep, golden().at("box.representation"), 1e-5, "representation");
  const auto out = predictor.predict(rep);
  expect_close(out.class_logits, golden().at("box.logits"), 1e-5, "class logits");
  expect_close(out.box_deltas, golden().at("box.deltas"), 1e-5, "box deltas");
}

TEST(DetectorHeads, EnergyOodHeadIsAnAffineOfForegroundLogSumExp) {
  const Tensor logits = from_vector<float>({5.0f, 1.0f, 2.0f, -7.0f, 0.5f, 0.5f}, {2, 3});
  for (std::int64_t bg : {0, -1}) {
    models::EnergyOodHead head(bg);
    const auto params = head.state_dict();
    ASSERT_EQ(params[0].first, "fc_ood.weight");
    const double w = params[0].second.item(), b = params[1].second.item();
    const auto got = head.forward(logits).to_vector<float>();
    // Row 0 foreground: {1, 2} (bg 0) or {5, 1} (bg last); row 1: {0.5, 0.5} or {-7, 0.5}.
    const double lse0 =
        bg == 0 ? std::log(std::exp(1.0) + std::exp(2.0)) : std::log(std::exp(5.0) + std::exp(1.0));
    const double lse1 = bg == 0 ? 0.5 + std::log(2.0) : std::log(std::exp(-7.0) + std::exp(0.5));
    EXPECT_NEAR(got[0], w * lse0 + b, 1e-5);
    EXPECT_NEAR(got[1], w * lse1 + b, 1e-5);
  }
  // The OOD loss reaches the classification logits (Dream-Box trains the energy through them).
  Tensor x = from_vector<float>({1.0f, 2.0f, 3.0f}, {1, 3}).requires_grad_();
  models::EnergyOodHead head;
  sum(head.forward(x)).backward();
  EXPECT_EQ(x.grad().to_vector<float>()[0], 0.0f);  // background takes no gradient
  EXPECT_NE(x.grad().to_vector<float>()[2], 0.0f);
}

}  // namespace
