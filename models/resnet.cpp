// ResNet construction (block counts per depth, widths, strides) and forward passes; names follow
// torchvision (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0/1, ...) so its weights load as is.
#include "models/resnet.h"

#include <array>

#include "engine/functional.h"
#include "engine/ops.h"

namespace models {

using engine::nn::Conv2d;
using engine::nn::FrozenBatchNorm2d;
using engine::nn::Sequential;

namespace {

struct Depth {
  bool bottleneck;
  std::array<int, 4> blocks;
};

Depth depth_table(int depth) {
  switch (depth) {
    case 18:
      return {false, {2, 2, 2, 2}};
    case 34:
      return {false, {3, 4, 6, 3}};
    case 50:
      return {true, {3, 4, 6, 3}};
    case 101:
      return {true, {3, 4, 23, 3}};
    default:
      ENGINE_FAIL("ResNet: depth ", depth, " is not supported (use 18, 34, 50 or 101)");
  }
}

std::shared_ptr<Conv2d> conv(std::int64_t in,
                             std::int64_t out,
                             std::int64_t k,
                             std::int64_t stride) {
  return std::make_shared<Conv2d>(
      in, out, engine::Pair{k, k},
      engine::nn::Conv2dOptions{
          .stride = {stride, stride}, .padding = {k / 2, k / 2}, .bias = false});
}

std::shared_ptr<engine::nn::Module> norm(std::int64_t channels, NormLayer kind) {
  if (kind == NormLayer::group) return std::make_shared<engine::nn::GroupNorm>(32, channels);
  return std::make_shared<FrozenBatchNorm2d>(channels, 1e-5,
                                             kind == NormLayer::frozen_trainable_affine);
}

}  // namespace

NormLayer norm_layer(const ResNetConfig& config) {
  ENGINE_CHECK(!(config.group_norm && config.trainable_norm_affine),
               "ResNet: group_norm and trainable_norm_affine exclude each other (pick one norm)");
  if (config.group_norm) return NormLayer::group;
  return config.trainable_norm_affine ? NormLayer::frozen_trainable_affine : NormLayer::frozen;
}

ResidualBlock::ResidualBlock(bool bottleneck,
                             std::int64_t in_channels,
                             std::int64_t width,
                             std::int64_t stride,
                             NormLayer norm_kind) {
  out_channels_ = bottleneck ? width * 4 : width;
  // (in, out, kernel, stride) of conv1..conv3; the stride sits in the 3x3 conv.
  std::vector<std::array<std::int64_t, 4>> specs;
  if (bottleneck)
    specs = {{in_channels, width, 1, 1}, {width, width, 3, stride}, {width, out_channels_, 1, 1}};
  else
    specs = {{in_channels, width, 3, stride}, {width, width, 3, 1}};
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto [in, out, k, s] = specs[i];
    const std::string n = std::to_string(i + 1);
    // Two statements: registration order is the state-dict order (argument order is unspecified).
    auto c = register_module("conv" + n, conv(in, out, k, s));
    auto bn = register_module("bn" + n, norm(out, norm_kind));
    layers_.emplace_back(c, bn);
  }
  if (stride != 1 || in_channels != out_channels_) {
    downsample_ = std::make_shared<Sequential>();
    downsample_->push_back(conv(in_channels, out_channels_, 1, stride));
    downsample_->push_back(norm(out_channels_, norm_kind));
    register_module("downsample", downsample_);
  }
}

Tensor ResidualBlock::forward(const Tensor& x) {
  Tensor h = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i].second->forward(layers_[i].first->forward(h));
    if (i + 1 < layers_.size()) h = engine::relu(h);
  }
  const Tensor identity = downsample_ ? downsample_->forward(x) : x;
  return engine::relu(engine::add(h, identity));
}

ResNetBody::ResNetBody(const ResNetConfig& config) {
  ENGINE_CHECK(config.trainable_layers >= 0 && config.trainable_layers <= 5,
               "ResNet: trainable_layers must be 0..5, got ", config.trainable_layers);
  const Depth d = depth_table(config.depth);
  const NormLayer norm_kind = norm_layer(config);
  conv1_ = register_module("conv1", conv(3, 64, 7, 2));
  bn1_ = register_module("bn1", norm(64, norm_kind));
  std::int64_t channels = 64;
  for (int stage = 0; stage < 4; ++stage) {
    auto layer = std::make_shared<Sequential>();
    const std::int64_t width = 64 << stage;
    for (int b = 0; b < d.blocks[stage]; ++b) {
      auto block = std::make_shared<ResidualBlock>(d.bottleneck, channels, width,
                                                   b == 0 && stage > 0 ? 2 : 1, norm_kind);
      channels = block->out_channels();
      layer->push_back(block);
    }
    stages_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    out_channels_.push_back(channels);
  }
  // torchvision freezes from the stem upwards: trainable_layers = 3 trains layer2..layer4; the
  // stem's norm trains only with the stem (MMDet frozen_stages = 1 freezes conv1 and bn1 alike).
  conv1_->requires_grad_(config.trainable_layers >= 5);
  bn1_->requires_grad_(config.trainable_layers >= 5);
  for (int stage = 0; stage < 4; ++stage)
    stages_[stage]->requires_grad_(stage >= 4 - config.trainable_layers);
}

std::vector<Tensor> ResNetBody::features(const Tensor& images) {
  ENGINE_CHECK(images.dim() == 4 && images.size(1) == 3,
               "ResNet: images must be [N, 3, H, W], got ", images.str());
  Tensor x = engine::relu(bn1_->forward(conv1_->forward(images)));
  x = engine::max_pool2d(x, {3, 3}, engine::Pair{2, 2}, {1, 1});
  std::vector<Tensor> out;
  for (auto& stage : stages_) {
    x = stage->forward(x);
    out.push_back(x);
  }
  return out;
}

}  // namespace models
