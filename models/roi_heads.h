// The RoI heads of Faster R-CNN with Dream-Box's energy OOD head: proposal/target matching and
// sampling, multi-scale RoIAlign, box head and predictor, the classification, box and OOD losses
// in training, and per-class NMS post-processing with an OOD score per detection at inference.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "engine/random.h"
#include "models/heads.h"
#include "models/vos.h"

namespace models {

struct RoiHeadsConfig {
  std::int64_t num_classes = 21;  // background included
  // Where the background logit sits: index 0 (torchvision) or last with foreground-only box
  // deltas (MMDetection). Only the layout of cls_score/bbox_pred changes: targets and detections
  // keep labels 1..num_classes-1 for the foreground in both layouts.
  bool background_last = false;
  std::int64_t representation = 1024;
  std::int64_t pool_size = 7, sampling_ratio = 2;
  bool aligned = false;
  double foreground_iou = 0.5, background_iou = 0.5;
  std::int64_t batch_size_per_image = 512;
  double positive_fraction = 0.25;
  double smooth_l1_beta = 1.0 / 9;  // 0 = L1 (MMDet)
  double score_threshold = 0.05, nms_threshold = 0.5, min_size = 1e-2;
  std::int64_t detections_per_image = 100;
  // Dream-Box OOD head: loss weight, focal parameters, and whether ground-truth boxes added as
  // proposals keep their ood flag (intended) or get 0 as in the released code (faithful).
  bool ood_head = true;
  double ood_loss_weight = 10.0, focal_alpha = 0.25, focal_gamma = 2.0;
  bool gt_proposals_keep_ood_flag = true;
  // VOS baseline: virtual outliers from the box-head features (models/vos.h).
  bool vos = false;
  VosConfig vos_config{};
};

struct DetectionTargets {
  engine::Tensor boxes;   // [G, 4] f32
  engine::Tensor labels;  // i64 [G], 1..num_classes-1
  engine::Tensor ood;     // bool/u8 [G] (undefined = all in-distribution)
};

struct Detections {
  engine::Tensor boxes;   // [D, 4]
  engine::Tensor scores;  // [D]
  engine::Tensor labels;  // i64 [D]
  engine::Tensor
      ood_scores;  // [D] sigmoid(ood_logit) of the detection's RoI (undefined without the head)
  engine::Tensor energies;  // [D] free energy -logsumexp(foreground logits) of the detection's RoI
};

struct RoiHeadsOutput {
  std::vector<Detections> detections;                  // inference only
  engine::Tensor classifier_loss, box_loss, ood_loss;  // training only (ood_loss with the head)
  engine::Tensor vos_loss;  // training with VOS, once virtual outliers are drawn
};

class RoiHeads : public engine::nn::Module {
 public:
  RoiHeads(const RoiHeadsConfig& config, std::int64_t channels);
  // features: P2..P5 [N, C, H_l, W_l] (strides 4..32); proposals: per image [K_i, 4].
  RoiHeadsOutput forward(const std::vector<engine::Tensor>& features,
                         std::vector<engine::Tensor> proposals,
                         const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                         const std::vector<DetectionTargets>* targets,
                         engine::Generator& gen);
  std::int64_t num_classes() const { return config_.num_classes; }  // background included
  std::shared_ptr<TwoMlpHead> box_head;
  std::shared_ptr<BoxPredictor> box_predictor;
  std::shared_ptr<EnergyOodHead> ood_head;
  std::shared_ptr<VirtualOutliers> vos;  // "vos" (only with config.vos)

 private:
  struct Scores {
    engine::Tensor class_logits, box_deltas, ood_logits;
    engine::Tensor features;  // [R, representation] box-head output
  };
  Scores score(const std::vector<engine::Tensor>& features,
               const std::vector<engine::Tensor>& proposals);
  // VOS: queues this step's foreground features; once active, the uncertainty loss of the
  // foreground RoIs against one virtual outlier per class (undefined before that).
  engine::Tensor vos_loss(const Scores& scores,
                          const std::vector<std::int64_t>& labels,
                          engine::Generator& gen);
  std::vector<Detections> postprocess(
      const Scores& s,
      const std::vector<engine::Tensor>& proposals,
      const std::vector<std::array<std::int64_t, 2>>& image_sizes) const;
  // Column of class `label` (0 = background, 1.. = foreground) in the logits and box deltas.
  std::int64_t column(std::int64_t label) const;
  RoiHeadsConfig config_;
};

}  // namespace models
