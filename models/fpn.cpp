// FPN construction with torchvision's names (inner_blocks.i.0, layer_blocks.i.0) and its init
// (kaiming-uniform a=1, bias 0), and the top-down forward pass.
#include "models/fpn.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/functional.h"
#include "engine/ops.h"

namespace models {

using engine::nn::Conv2d;
using engine::nn::Sequential;

namespace {

// One conv wrapped in a Sequential so that its weights are named "<i>.0.weight" as in torchvision.
std::shared_ptr<Conv2d> add_block(engine::nn::Sequential& blocks,
                                  std::int64_t in,
                                  std::int64_t out,
                                  std::int64_t k) {
  auto conv = std::make_shared<Conv2d>(in, out, engine::Pair{k, k},
                                       engine::nn::Conv2dOptions{.padding = {k / 2, k / 2}});
  {
    engine::autograd::NoGradGuard
        no_grad;  // kaiming_uniform(a=1): bound = sqrt(3 / fan_in); bias 0
    const double bound = std::sqrt(3.0 / static_cast<double>(in * k * k));
    engine::uniform_(conv->weight, -bound, bound, engine::default_generator());
    conv->bias.zero_();
  }
  auto wrapper = std::make_shared<Sequential>();
  wrapper->push_back(conv);
  blocks.push_back(wrapper);
  return conv;
}

}  // namespace

FeaturePyramid::FeaturePyramid(const std::vector<std::int64_t>& in_channels,
                               std::int64_t out_channels) {
  auto inner = register_module("inner_blocks", std::make_shared<Sequential>());
  auto layer = register_module("layer_blocks", std::make_shared<Sequential>());
  for (auto c : in_channels) {
    inner_.push_back(add_block(*inner, c, out_channels, 1));
    layer_.push_back(add_block(*layer, out_channels, out_channels, 3));
  }
}

std::vector<Tensor> FeaturePyramid::pyramid(const std::vector<Tensor>& features) {
  ENGINE_CHECK(features.size() == inner_.size(), "FPN: expected ", inner_.size(),
               " feature maps, got ", features.size());
  std::vector<Tensor> out(features.size());
  Tensor top = inner_.back()->forward(features.back());
  out.back() = layer_.back()->forward(top);
  for (std::size_t i = features.size() - 1; i-- > 0;) {
    const Tensor lateral = inner_[i]->forward(features[i]);
    top = engine::add(
        lateral, engine::upsample_nearest(top, engine::Pair{lateral.size(2), lateral.size(3)}));
    out[i] = layer_[i]->forward(top);
  }
  out.push_back(engine::max_pool2d(out.back(), {1, 1}, engine::Pair{2, 2}));
  return out;
}

}  // namespace models
