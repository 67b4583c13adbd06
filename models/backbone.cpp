// ResNetFpnBackbone: wires the ResNet body's C2..C5 into the FPN.
// Kept apart so the detector and the tests can build either part alone.
#include "models/backbone.h"

namespace models {

ResNetFpnBackbone::ResNetFpnBackbone(const ResNetConfig& config, std::int64_t fpn_channels) {
  body = register_module("body", std::make_shared<ResNetBody>(config));
  fpn =
      register_module("fpn", std::make_shared<FeaturePyramid>(body->out_channels(), fpn_channels));
}

std::vector<Tensor> ResNetFpnBackbone::pyramid(const Tensor& images) {
  return fpn->pyramid(body->features(images));
}

}  // namespace models
