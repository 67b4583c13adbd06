// The ResNet-FPN backbone against torchvision's resnet_fpn_backbone: identical state-dict names
// and order, identical P2..P6 on formula-initialised weights (R18 and R50), frozen stages, and
// MMDetection's norm (frozen statistics, trainable affine) against torch's eval-mode BatchNorm2d.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

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

void load_formula(nn::Module& module) {
  const nn::NamedTensors state = module.state_dict();
  nn::NamedTensors values;
  for (std::size_t i = 0; i < state.size(); ++i)
    values.emplace_back(state[i].first, formula(i, state[i].first, state[i].second.shape()));
  module.load_state_dict(values);
}

io::SafetensorsFile golden_file() {
  auto golden = io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/backbone.safetensors");
  EXPECT_EQ(golden.metadata.at("format_version"), "1") << kRegenerate;
  return golden;
}

// max |got - want| <= tolerance * max |want| (deep f32 stacks round in a different order).
void expect_close(const Tensor& got,
                  const Tensor& want,
                  double tolerance,
                  const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.contiguous().to_vector<float>(), w = want.to_vector<float>();
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(g[i] - w[i])));
    scale = std::max(scale, static_cast<double>(std::abs(w[i])));
  }
  EXPECT_LE(worst, tolerance * scale) << what << " (max |ref| " << scale << "); " << kRegenerate;
}

void check_against_torchvision(int depth) {
  const auto golden = golden_file();
  models::ResNetFpnBackbone backbone({.depth = depth, .trainable_layers = 3});
  const std::string prefix = "r" + std::to_string(depth) + ".";
  ASSERT_EQ(static_cast<double>(backbone.state_dict().size()),
            golden.at(prefix + "num_tensors").item())
      << kRegenerate;
  load_formula(backbone);

  autograd::NoGradGuard no_grad;
  const std::vector<Tensor> p = backbone.pyramid(golden.at("input"));
  ASSERT_EQ(p.size(), 5u);
  for (std::size_t level = 0; level < p.size(); ++level)
    expect_close(p[level], golden.at(prefix + "p" + std::to_string(level + 2)), 1e-4,
                 "P" + std::to_string(level + 2) + " of R" + std::to_string(depth));
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

// MMDet's norm_eval=True, requires_grad=True: statistics frozen in train mode, weight/bias of
// stages 2-4 trained. Gradients against torch.nn.BatchNorm2d in eval mode (gen_backbone.py).
TEST(Backbone, MmdetNormTrainsAffineWithFrozenStatistics) {
  const auto golden = golden_file();
  models::ResNetFpnBackbone frozen({.depth = 18, .trainable_layers = 3});
  models::ResNetFpnBackbone backbone(
      {.depth = 18, .trainable_layers = 3, .trainable_norm_affine = true});
  // Same state-dict keys in the same order: torchvision checkpoints load either way.
  const auto state = backbone.state_dict(), frozen_state = frozen.state_dict();
  ASSERT_EQ(state.size(), frozen_state.size());
  for (std::size_t i = 0; i < state.size(); ++i) ASSERT_EQ(state[i].first, frozen_state[i].first);
  load_formula(backbone);
  load_formula(frozen);
  auto statistics = [&] {  // the running statistics of one trainable stage's norm
    std::vector<float> out;
    for (const auto& [name, t] : backbone.named_buffers())
      if (name.starts_with("body.layer2.0.bn1.running")) {
        const auto v = t.to_vector<float>();
        out.insert(out.end(), v.begin(), v.end());
      }
    return out;
  };
  const std::vector<float> statistics_before = statistics();
  ASSERT_EQ(statistics_before.size(), 2u * 128);

  backbone.train();
  const std::vector<Tensor> p = backbone.pyramid(golden.at("input"));
  Tensor loss;
  for (const Tensor& level : p) {
    const Tensor m = mean(mul(level, level));
    loss = loss.defined() ? add(loss, m) : m;
  }
  expect_close(loss.reshape({1}), golden.at("mmdet_r18.loss"), 1e-5, "loss");
  loss.backward();
  std::map<std::string, Tensor> params;
  for (const auto& [name, t] : backbone.named_parameters()) params[name] = t;
  for (const char* name :
       {"body.layer2.0.bn1.weight", "body.layer2.0.bn1.bias", "body.layer3.0.downsample.1.weight",
        "body.layer4.1.bn2.bias", "body.layer2.0.downsample.0.weight", "fpn.inner_blocks.3.0.bias"})
    expect_close(params.at(name).grad(), golden.at(std::string("mmdet_r18.grad.") + name), 1e-4,
                 std::string("gradient of ") + name);
  // The stem and layer1 stay frozen, affine included; statistics never move.
  EXPECT_FALSE(params.at("body.bn1.weight").requires_grad());
  EXPECT_FALSE(params.at("body.layer1.0.bn2.bias").requires_grad());
  EXPECT_FALSE(params.at("body.layer1.0.bn2.bias").grad().defined());
  EXPECT_EQ(statistics(), statistics_before);
  for (const auto& [name, t] : backbone.named_buffers())
    EXPECT_TRUE(name.ends_with("running_mean") || name.ends_with("running_var")) << name;

  // Forward values equal plain frozen batch norm with the same tensors.
  autograd::NoGradGuard no_grad;
  frozen.eval();
  const std::vector<Tensor> q = frozen.pyramid(golden.at("input"));
  for (std::size_t level = 0; level < p.size(); ++level)
    expect_close(p[level].detach(), q[level], 1e-6, "P" + std::to_string(level + 2));
  EXPECT_THROW(models::ResNetBody({.depth = 18, .group_norm = true, .trainable_norm_affine = true}),
               Error);
}

}  // namespace
