// Faster R-CNN with a ResNet-FPN backbone and Dream-Box's energy OOD head, laid out as
// torchvision's FasterRCNN ("backbone", "rpn", "roi_heads") so its checkpoints load by name.
#pragma once

#include <memory>

#include "models/backbone.h"
#include "models/roi_heads.h"
#include "models/rpn.h"

namespace models {

struct FasterRcnnConfig {
  ResNetConfig backbone{};
  std::int64_t fpn_channels = 256;
  AnchorConfig anchors{};
  RpnConfig rpn{};
  RoiHeadsConfig roi_heads{};
};

// The MMDetection variant the Dream-Box paper trained with, as switches on torchvision's layout:
// L1 box losses, 1000 post-NMS training proposals, RoIAlign aligned with adaptive sampling,
// batch norm with frozen statistics but trainable affine in the trainable stages (2-4), and the
// background logit last with foreground-only box deltas (labels in targets/detections unchanged).
FasterRcnnConfig mmdet_variant(FasterRcnnConfig config);

struct FasterRcnnLosses {
  engine::Tensor rpn_objectness, rpn_box, classifier, box, ood;  // ood undefined without the head
  engine::Tensor vos;  // VOS uncertainty loss (undefined until virtual outliers are drawn)
  engine::Tensor total() const;
};

class FasterRcnn : public engine::nn::Module {
 public:
  explicit FasterRcnn(const FasterRcnnConfig& config);
  // images: normalised batch [N, 3, H, W] (padded to /32); image_sizes: each image's size inside
  // it.
  FasterRcnnLosses losses(const engine::Tensor& images,
                          const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                          const std::vector<DetectionTargets>& targets,
                          engine::Generator& gen);
  std::vector<Detections> detect(const engine::Tensor& images,
                                 const std::vector<std::array<std::int64_t, 2>>& image_sizes);

  std::shared_ptr<ResNetFpnBackbone> backbone;
  std::shared_ptr<RegionProposalNetwork> rpn;
  std::shared_ptr<RoiHeads> roi_heads;
};

}  // namespace models
