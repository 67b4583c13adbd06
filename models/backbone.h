// The detector backbone: ResNet body + FPN under torchvision's names ("body.*", "fpn.*"), turning
// normalised images [N, 3, H, W] into five 256-channel maps P2..P6 (strides 4, 8, 16, 32, 64).
#pragma once

#include "models/fpn.h"
#include "models/resnet.h"

namespace models {

class ResNetFpnBackbone : public engine::nn::Module {
 public:
  explicit ResNetFpnBackbone(const ResNetConfig& config, std::int64_t fpn_channels = 256);
  std::vector<Tensor> pyramid(const Tensor& images);
  std::shared_ptr<ResNetBody> body;
  std::shared_ptr<FeaturePyramid> fpn;
};

}  // namespace models
