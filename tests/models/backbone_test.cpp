// The ResNet-FPN backbone against torchvision's resnet_fpn_backbone: identical state-dict names
// and order, identical P2..P6 on formula-initialised weights (R18 and R50), frozen stages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/backbone.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_backbone.py";

// The same formula as tests/golden/gen_backbone.py: tensor `index` of the state dict.
Tensor formula(std::size_t index, const std::string& name, const Shape& shape) {
  const std::int64_t n = numel(shape);
  std::vector<float> values(static_cast<std::size_t>(n));
  auto ends_with = [&](const char* suffix) {
    return name.size() >= std::strlen(suffix) && name.ends_with(suffix);
  };
  for (std::int64_t i = 0; i < n; ++i) {
    const double wave = std::sin(0.61 * static_cast<double>(i) + 0.37 * static_cast<double>(index));
    double v;
    if (ends_with("running_var"))
      v = 1.0 + 0.25 * wave * wave;
    else if (ends_with("running_mean") || ends_with("bias"))
      v = 0.1 * wave;
    else if (shape.size() == 1)
      v = 1.0 + 0.1 * wave;
    else
      v = wave * std::sqrt(3.0 / static_cast<double>(n / shape[0]));
    values[static_cast<std::size_t>(i)] = static_cast<float>(v);
  }
  return from_vector(values, shape);
}

void check_against_torchvision(int depth) {
  const auto golden =
      io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/backbone.safetensors");
  ASSERT_EQ(golden.metadata.at("format_version"), "1") << kRegenerate;
  models::ResNetFpnBackbone backbone({.depth = depth, .trainable_layers = 3});
  const nn::NamedTensors state = backbone.state_dict();
  const std::string prefix = "r" + std::to_string(depth) + ".";
  ASSERT_EQ(static_cast<double>(state.size()), golden.at(prefix + "num_tensors").item())
      << kRegenerate;
  nn::NamedTensors values;
  for (std::size_t i = 0; i < state.size(); ++i)
    values.emplace_back(state[i].first, formula(i, state[i].first, state[i].second.shape()));
  backbone.load_state_dict(values);

  autograd::NoGradGuard no_grad;
  const std::vector<Tensor> p = backbone.pyramid(golden.at("input"));
  ASSERT_EQ(p.size(), 5u);
  for (std::size_t level = 0; level < p.size(); ++level) {
    const Tensor want = golden.at(prefix + "p" + std::to_string(level + 2));
    ASSERT_EQ(p[level].shape(), want.shape()) << "P" << level + 2;
    const auto got = p[level].contiguous().to_vector<float>(), ref = want.to_vector<float>();
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      worst = std::max(worst, static_cast<double>(std::abs(got[i] - ref[i])));
      scale = std::max(scale, static_cast<double>(std::abs(ref[i])));
    }
    // Deep f32 stacks accumulate rounding in a different order than oneDNN: compare to the scale.
    EXPECT_LE(worst, 1e-4 * scale)
        << "P" << level + 2 << " of R" << depth << " (max |ref| " << scale << "); " << kRegenerate;
  }
}

TEST(Backbone, ResNet18FpnMatchesTorchvision) {
  check_against_torchvision(18);
}
TEST(Backbone, ResNet50FpnMatchesTorchvision) {
  check_against_torchvision(50);
}

TEST(Backbone, NamesAndFrozenStagesFollowTorchvision) {
  models::ResNetFpnBackbone backbone({.depth = 18, .trainable_layers = 3});
  std::vector<std::string> trainable, frozen;
  for (const auto& [name, t] : backbone.named_parameters())
    (t.requires_grad() ? trainable : frozen).push_back(name);
  EXPECT_EQ(frozen.front(), "body.conv1.weight");
  EXPECT_NE(std::find(frozen.begin(), frozen.end(), "body.layer1.1.conv2.weight"), frozen.end());
  EXPECT_EQ(trainable.front(), "body.layer2.0.conv1.weight");
  EXPECT_NE(std::find(trainable.begin(), trainable.end(), "fpn.inner_blocks.0.0.weight"),
            trainable.end());
  EXPECT_NE(std::find(trainable.begin(), trainable.end(), "fpn.layer_blocks.3.0.bias"),
            trainable.end());
  const auto buffers = backbone.named_buffers();
  EXPECT_EQ(buffers.front().first, "body.bn1.weight");  // frozen batch norm: all buffers
  EXPECT_THROW(models::ResNetBody({.depth = 42}), Error);
}

TEST(Backbone, GradientsReachTrainableStagesOnly) {
  models::ResNetFpnBackbone backbone({.depth = 18, .trainable_layers = 3}, 32);
  Generator gen(3);
  const Tensor images = randn({1, 3, 64, 64}, gen);
  Tensor loss;
  for (const Tensor& p : backbone.pyramid(images))
    loss = loss.defined() ? add(loss, mean(p)) : mean(p);
  loss.backward();
  for (const auto& [name, t] : backbone.named_parameters()) {
    if (t.requires_grad())
      EXPECT_TRUE(t.grad().defined()) << name;
    else
      EXPECT_FALSE(t.grad().defined()) << name;
  }
}

}  // namespace
