// Faster R-CNN: backbone -> RPN proposals -> RoI heads, for training (losses) and inference
// (detections in the coordinates of the network input; the data layer maps them back).
#include "models/faster_rcnn.h"

#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/targets.h"

namespace models {

FasterRcnnConfig mmdet_variant(FasterRcnnConfig config) {
  config.backbone.trainable_norm_affine = true;  // norm_eval=True, requires_grad=True
  config.rpn.smooth_l1_beta = 0.0;               // L1
  config.rpn.post_nms_top_n_train = 1000;
  config.roi_heads.smooth_l1_beta = 0.0;
  config.roi_heads.aligned = true;
  config.roi_heads.sampling_ratio = 0;  // adaptive: ceil(roi size / 7)
  config.roi_heads.background_last = true;
  return config;
}

engine::Tensor FasterRcnnLosses::total() const {
  engine::Tensor sum =
      engine::add(engine::add(rpn_objectness, rpn_box), engine::add(classifier, box));
  if (ood.defined()) sum = engine::add(sum, ood);
  return vos.defined() ? engine::add(sum, vos) : sum;
}

FasterRcnn::FasterRcnn(const FasterRcnnConfig& config) {
  backbone = register_module(
      "backbone", std::make_shared<ResNetFpnBackbone>(config.backbone, config.fpn_channels));
  rpn = register_module("rpn", std::make_shared<RegionProposalNetwork>(config.rpn, config.anchors,
                                                                       config.fpn_channels));
  roi_heads = register_module("roi_heads",
                              std::make_shared<RoiHeads>(config.roi_heads, config.fpn_channels));
}

namespace {
std::array<std::int64_t, 2> batch_size(const engine::Tensor& images) {
  ENGINE_CHECK(images.dim() == 4 && images.size(1) == 3,
               "FasterRcnn: images must be [N, 3, H, W], got ", images.str());
  return {images.size(2), images.size(3)};
}
}  // namespace

FasterRcnnLosses FasterRcnn::losses(const engine::Tensor& images,
                                    const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                                    const std::vector<DetectionTargets>& targets,
                                    engine::Generator& gen) {
  ENGINE_CHECK(is_training(), "FasterRcnn::losses needs train mode (call train())");
  check_targets(targets, image_sizes, roi_heads->num_classes());
  const auto features = backbone->pyramid(images);
  std::vector<engine::Tensor> gt_boxes;  // [G_n, 4]; an image without boxes gets [0, 4]
  for (const auto& t : targets)
    gt_boxes.push_back(t.boxes.defined() ? t.boxes
                                         : engine::zeros({0, 4}, {.device = images.device()}));
  const RpnOutput proposals =
      rpn->forward(features, batch_size(images), image_sizes, &gt_boxes, gen);
  const RoiHeadsOutput heads =
      roi_heads->forward(features, proposals.proposals, image_sizes, &targets, gen);
  return {proposals.objectness_loss,
          proposals.box_loss,
          heads.classifier_loss,
          heads.box_loss,
          heads.ood_loss,
          heads.vos_loss};
}

std::vector<Detections> FasterRcnn::detect(
    const engine::Tensor& images, const std::vector<std::array<std::int64_t, 2>>& image_sizes) {
  ENGINE_CHECK(!is_training(), "FasterRcnn::detect needs eval mode (call eval())");
  engine::autograd::NoGradGuard no_grad;
  engine::Generator unused(0);  // inference draws no random numbers
  const auto features = backbone->pyramid(images);
  const RpnOutput proposals =
      rpn->forward(features, batch_size(images), image_sizes, nullptr, unused);
  return roi_heads->forward(features, proposals.proposals, image_sizes, nullptr, unused).detections;
}

}  // namespace models
