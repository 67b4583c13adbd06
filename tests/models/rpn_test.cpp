// The region proposal network against torchvision's: proposals in eval mode and both losses in
// training (with a sampler batch that takes every labelled anchor, so no randomness is involved).
#include <gtest/gtest.h>

#include <cmath>

#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "formula_weights.h"
#include "models/rpn.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_rpn.py";

using test_formula::load_formula;

struct Fixture {
  io::SafetensorsFile golden =
      io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/rpn.safetensors");
  models::RegionProposalNetwork rpn{models::RpnConfig{.pre_nms_top_n_train = 300,
                                                      .pre_nms_top_n_test = 300,
                                                      .post_nms_top_n_train = 50,
                                                      .post_nms_top_n_test = 50,
                                                      .batch_size_per_image = 100000,
                                                      .positive_fraction = 1.0},
                                    models::AnchorConfig{.sizes = {16, 32}}, 8};
  std::vector<Tensor> features{golden.at("feature0"), golden.at("feature1")};
  std::vector<std::array<std::int64_t, 2>> sizes{{48, 64}, {40, 56}};
  Fixture() {
    EXPECT_EQ(golden.metadata.at("format_version"), "1") << kRegenerate;
    load_formula(*rpn.head);
  }
};

TEST(Rpn, ProposalsMatchTorchvision) {
  Fixture f;
  f.rpn.eval();
  Generator gen(0);
  autograd::NoGradGuard no_grad;
  const auto out = f.rpn.forward(f.features, {48, 64}, f.sizes, nullptr, gen);
  ASSERT_EQ(out.proposals.size(), 2u);
  for (int n = 0; n < 2; ++n) {
    const Tensor want = f.golden.at("proposals" + std::to_string(n));
    ASSERT_EQ(out.proposals[n].shape(), want.shape()) << "image " << n << "; " << kRegenerate;
    const auto g = out.proposals[n].to_vector<float>(), w = want.to_vector<float>();
    for (std::size_t i = 0; i < g.size(); ++i)
      ASSERT_NEAR(g[i], w[i], 1e-3) << "image " << n << " value " << i;
  }
  EXPECT_FALSE(out.objectness_loss.defined());
}

TEST(Rpn, TrainingLossesMatchTorchvisionAndReachTheHead) {
  Fixture f;
  f.rpn.train();
  Generator gen(0);
  const std::vector<Tensor> gt{f.golden.at("gt0"), f.golden.at("gt1")};
  const auto out = f.rpn.forward(f.features, {48, 64}, f.sizes, &gt, gen);
  EXPECT_NEAR(out.objectness_loss.item(), f.golden.at("loss_objectness").item(), 1e-5)
      << kRegenerate;
  EXPECT_NEAR(out.box_loss.item(), f.golden.at("loss_rpn_box_reg").item(), 1e-6) << kRegenerate;
  add(out.objectness_loss, out.box_loss).backward();
  for (const auto& [name, p] : f.rpn.named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
}

}  // namespace
