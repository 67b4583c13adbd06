// RoI heads against torchvision's RoIHeads (detections and training losses, no randomness), the
// Dream-Box OOD head (focal targets, CE exclusion, faithful/intended) and the background-last
// layout.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "formula_weights.h"
#include "models/roi_heads.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_roi_heads.py";

using test_formula::load_formula;

struct Fixture {
  io::SafetensorsFile golden =
      io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/roi_heads.safetensors");
  models::RoiHeadsConfig config{.num_classes = 4,
                                .representation = 16,
                                .batch_size_per_image = 100000,
                                .positive_fraction = 1.0};
  std::vector<Tensor> features, proposals;
  std::vector<std::array<std::int64_t, 2>> sizes{{128, 192}, {120, 176}};
  std::vector<models::DetectionTargets> targets;
  explicit Fixture(bool ood_head) {
    EXPECT_EQ(golden.metadata.at("format_version"), "1") << kRegenerate;
    config.ood_head = ood_head;
    for (int i = 0; i < 4; ++i) features.push_back(golden.at("feature" + std::to_string(i)));
    for (int n = 0; n < 2; ++n) {
      proposals.push_back(golden.at("proposals" + std::to_string(n)));
      targets.push_back({golden.at("gt_boxes" + std::to_string(n)),
                         golden.at("gt_labels" + std::to_string(n)),
                         {}});
    }
  }
  std::unique_ptr<models::RoiHeads> make() const {
    auto heads = std::make_unique<models::RoiHeads>(config, 4);
    load_formula(*heads->box_head);
    load_formula(*heads->box_predictor);
    return heads;
  }
};

void expect_torchvision_detections(const Fixture& f, const std::vector<models::Detections>& dets) {
  ASSERT_EQ(dets.size(), 2u);
  for (int n = 0; n < 2; ++n) {
    const std::string p = "det" + std::to_string(n) + ".";
    const auto& d = dets[n];
    ASSERT_EQ(d.boxes.shape(), f.golden.at(p + "boxes").shape()) << kRegenerate;
    const auto gb = d.boxes.to_vector<float>(), wb = f.golden.at(p + "boxes").to_vector<float>();
    for (std::size_t i = 0; i < gb.size(); ++i)
      EXPECT_NEAR(gb[i], wb[i], 1e-3) << p << "box value " << i;
    const auto gs = d.scores.to_vector<float>(), ws = f.golden.at(p + "scores").to_vector<float>();
    for (std::size_t i = 0; i < gs.size(); ++i)
      EXPECT_NEAR(gs[i], ws[i], 1e-5) << p << "score " << i;
    EXPECT_EQ(d.labels.to_vector<std::int64_t>(),
              f.golden.at(p + "labels").to_vector<std::int64_t>());
  }
}

TEST(RoiHeads, DetectionsMatchTorchvision) {
  Fixture f(false);
  auto heads = f.make();
  heads->eval();
  Generator gen(0);
  expect_torchvision_detections(
      f, heads->forward(f.features, f.proposals, f.sizes, nullptr, gen).detections);
}

TEST(RoiHeads, TrainingLossesMatchTorchvision) {
  Fixture f(false);
  auto heads = f.make();
  Generator gen(0);
  const auto out = heads->forward(f.features, f.proposals, f.sizes, &f.targets, gen);
  EXPECT_NEAR(out.classifier_loss.item(), f.golden.at("loss_classifier").item(), 1e-5)
      << kRegenerate;
  EXPECT_NEAR(out.box_loss.item(), f.golden.at("loss_box_reg").item(), 1e-5) << kRegenerate;
  EXPECT_FALSE(out.ood_loss.defined());
}

TEST(RoiHeads, OodTargetsFocalLossAndClassificationExclusion) {
  Fixture f(true);
  auto heads = f.make();
  Generator gen(0);
  const auto plain = heads->forward(f.features, f.proposals, f.sizes, &f.targets, gen);
  ASSERT_TRUE(plain.ood_loss.defined());
  // No OOD boxes: every target is 0, so loss_ood = 10 * mean(focal(x, 0)) = 10 * mean(0.75 p^2
  // (-log(1 - p))). Flag image 0's second box (label 3) as OOD: its matches leave the CE and become
  // OOD targets.
  auto flagged_targets = f.targets;
  flagged_targets[0].ood = from_vector<std::int64_t>({0, 1}).to(DType::b8);
  const auto flagged = heads->forward(f.features, f.proposals, f.sizes, &flagged_targets, gen);
  EXPECT_LT(flagged.classifier_loss.item(),
            plain.classifier_loss.item());  // fewer CE terms, same normaliser
  EXPECT_NE(flagged.ood_loss.item(), plain.ood_loss.item());
  EXPECT_NEAR(flagged.box_loss.item(), plain.box_loss.item(),
              1e-7);  // OOD boxes still train regression
  // Faithful mode: the ground-truth box added as a proposal keeps ood = 0, so the loss lies
  // between.
  f.config.gt_proposals_keep_ood_flag = false;
  auto faithful_heads = f.make();
  faithful_heads->load_state_dict(heads->state_dict());
  const auto faithful =
      faithful_heads->forward(f.features, f.proposals, f.sizes, &flagged_targets, gen);
  EXPECT_GT(faithful.classifier_loss.item(), flagged.classifier_loss.item());
  EXPECT_LT(faithful.classifier_loss.item(), plain.classifier_loss.item());
  // Gradients of the OOD loss reach the OOD head and the class logits' producers.
  flagged.ood_loss.backward();
  for (const auto& [name, p] : heads->named_parameters())
    if (name.rfind("box_predictor.bbox_pred", 0) != 0) {
      EXPECT_TRUE(p.grad().defined()) << name;
    }
  heads->eval();
  const auto det = heads->forward(f.features, f.proposals, f.sizes, nullptr, gen);
  ASSERT_TRUE(det.detections[0].ood_scores.defined());
  EXPECT_EQ(det.detections[0].ood_scores.numel(), det.detections[0].scores.numel());
  const auto o = det.detections[0].ood_scores.to_vector<float>();
  for (float v : o) EXPECT_TRUE(v > 0.0f && v < 1.0f);
  // The energy of each detection is -LSE of its RoI's foreground logits, the same LSE that the
  // OOD head maps through fc_ood: ood_score = sigmoid(w * (-energy) + b).
  ASSERT_EQ(det.detections[0].energies.numel(), det.detections[0].scores.numel());
  const auto energy = det.detections[0].energies.to_vector<float>();
  double w = 0, b = 0;
  for (const auto& [name, p] : heads->named_parameters()) {
    if (name == "ood_head.fc_ood.weight") w = p.item();
    if (name == "ood_head.fc_ood.bias") b = p.item();
  }
  for (std::size_t i = 0; i < o.size(); ++i)
    EXPECT_NEAR(o[i], 1.0 / (1.0 + std::exp(-(w * -energy[i] + b))), 1e-5) << i;
}

// The switch for ground-truth boxes added as proposals (--ood-gt-mode): with no other proposals
// every sampled RoI is a ground-truth box. Faithful (released code: add_gt_ without the ood flags)
// gives OOD boxes ood = 0 and keeps them in the CE, so flagging changes nothing at all; intended
// propagates the flag: those RoIs leave the CE and become OOD targets.
TEST(RoiHeads, GroundTruthProposalsOfOodBoxesFaithfulOrIntended) {
  Fixture f(true);
  const std::vector<Tensor> none(2, zeros({0, 4}));
  auto flagged = f.targets;
  for (auto& t : flagged) t.ood = ones({t.boxes.size(0)}, {.dtype = DType::b8});
  auto run = [&](bool keep_flag, const std::vector<models::DetectionTargets>& targets) {
    f.config.gt_proposals_keep_ood_flag = keep_flag;
    manual_seed(5);  // the same fc_ood initialisation each time
    auto heads = f.make();
    Generator gen(0);
    return heads->forward(f.features, none, f.sizes, &targets, gen);
  };
  for (bool keep_flag : {false, true}) {
    const auto plain = run(keep_flag, f.targets);
    const auto out = run(keep_flag, flagged);
    SCOPED_TRACE(keep_flag ? "intended" : "faithful");
    EXPECT_GT(plain.classifier_loss.item(), 0.0);
    if (!keep_flag) {
      EXPECT_EQ(out.classifier_loss.item(), plain.classifier_loss.item());
      EXPECT_EQ(out.ood_loss.item(), plain.ood_loss.item());
    } else {
      EXPECT_EQ(out.classifier_loss.item(), 0.0);  // every RoI is OOD: no CE term left
      EXPECT_NE(out.ood_loss.item(), plain.ood_loss.item());
    }
    EXPECT_EQ(out.box_loss.item(), plain.box_loss.item());  // regression either way
  }
}

// torchvision's predictor rows in MMDetection's layout: cls_score rows [1..C-1, 0] (background
// last), bbox_pred without the background's 4 rows.
nn::NamedTensors to_background_last(const nn::NamedTensors& state, std::int64_t classes) {
  nn::NamedTensors out;
  for (const auto& [name, t] : state) {
    if (name.starts_with("box_predictor.cls_score."))
      out.emplace_back(name, cat({t.narrow(0, 1, classes - 1), t.narrow(0, 0, 1)}, 0));
    else if (name.starts_with("box_predictor.bbox_pred."))
      out.emplace_back(name, t.narrow(0, 4, (classes - 1) * 4));
    else
      out.emplace_back(name, t);
  }
  return out;
}

void expect_all_near(const Tensor& got, const Tensor& want, double tolerance, const char* what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.contiguous().to_vector<float>(), w = want.contiguous().to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], tolerance) << what << " " << i;
}

// MMDetection's layout (background last, foreground-only deltas) is the same model: with the
// predictor rows permuted it gives torchvision's detections and losses, and the same OOD scores.
TEST(RoiHeads, BackgroundLastIsTorchvisionWithPermutedPredictor) {
  Fixture f(true);
  auto first = f.make();
  f.config.background_last = true;
  auto last = std::make_unique<models::RoiHeads>(f.config, 4);
  EXPECT_EQ(last->box_predictor->state_dict()[2].second.size(0), (4 - 1) * 4);  // bbox_pred
  last->load_state_dict(to_background_last(first->state_dict(), 4));

  first->eval();
  last->eval();
  Generator gen(0);
  const auto want = first->forward(f.features, f.proposals, f.sizes, nullptr, gen).detections;
  const auto got = last->forward(f.features, f.proposals, f.sizes, nullptr, gen).detections;
  expect_torchvision_detections(f, got);
  for (int n = 0; n < 2; ++n) {
    expect_all_near(got[n].ood_scores, want[n].ood_scores, 1e-6, "ood score");
    expect_all_near(got[n].energies, want[n].energies, 1e-5, "energy");
  }

  // Training: the same samples (same generator), so the same losses; the plain targets match
  // torchvision's, the OOD-flagged ones exercise the OOD exclusion and focal loss.
  first->train();
  last->train();
  Generator g1(5), g2(5);
  const auto plain = last->forward(f.features, f.proposals, f.sizes, &f.targets, g1);
  EXPECT_NEAR(plain.classifier_loss.item(), f.golden.at("loss_classifier").item(), 1e-5);
  EXPECT_NEAR(plain.box_loss.item(), f.golden.at("loss_box_reg").item(), 1e-5);
  auto flagged = f.targets;
  flagged[0].ood = from_vector<std::int64_t>({0, 1}).to(DType::b8);
  Generator g3(6), g4(6);
  const auto a = first->forward(f.features, f.proposals, f.sizes, &flagged, g3);
  const auto b = last->forward(f.features, f.proposals, f.sizes, &flagged, g4);
  EXPECT_NEAR(b.classifier_loss.item(), a.classifier_loss.item(), 1e-6);
  EXPECT_NEAR(b.box_loss.item(), a.box_loss.item(), 1e-6);
  EXPECT_NEAR(b.ood_loss.item(), a.ood_loss.item(), 1e-6);
  // Gradients: MMDet's predictor gradients are torchvision's with the rows permuted.
  add(add(a.classifier_loss, a.box_loss), a.ood_loss).backward();
  add(add(b.classifier_loss, b.box_loss), b.ood_loss).backward();
  nn::NamedTensors first_grads;
  for (const auto& [name, t] : first->named_parameters()) first_grads.emplace_back(name, t.grad());
  const auto want_grads = to_background_last(first_grads, 4);
  const auto last_params = last->named_parameters();
  ASSERT_EQ(last_params.size(), want_grads.size());
  for (std::size_t i = 0; i < want_grads.size(); ++i)
    expect_all_near(last_params[i].second.grad(), want_grads[i].second, 1e-6,
                    want_grads[i].first.c_str());
}

}  // namespace
