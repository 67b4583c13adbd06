// Feature pyramid network on C2..C5 (torchvision's FeaturePyramidNetwork + LastLevelMaxPool):
// 1x1 lateral convs, nearest top-down upsampling to each lateral's size, 3x3 output convs, P6 pool.
#pragma once

#include <memory>
#include <vector>

#include "engine/nn/conv_norm.h"
#include "engine/nn/layers.h"

namespace models {

using engine::Tensor;

class FeaturePyramid : public engine::nn::Module {
 public:
  FeaturePyramid(const std::vector<std::int64_t>& in_channels, std::int64_t out_channels);
  // C2..C5 -> P2..P6 (P6 = max_pool2d(P5, 1, stride 2)), all with out_channels channels.
  std::vector<Tensor> pyramid(const std::vector<Tensor>& features);

 private:
  std::vector<std::shared_ptr<engine::nn::Conv2d>> inner_, layer_;
};

}  // namespace models
