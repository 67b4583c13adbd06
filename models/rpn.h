// The region proposal network (torchvision's RegionProposalNetwork): decodes the RPN head's
// deltas on the anchors, keeps the best boxes per level, NMS per level, the top boxes per image,
// and in training computes the objectness and box losses on sampled anchors.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "models/anchors.h"
#include "models/heads.h"

namespace models {

struct RpnConfig {
  std::int64_t pre_nms_top_n_train = 2000, pre_nms_top_n_test = 1000;  // per level
  std::int64_t post_nms_top_n_train = 2000,
               post_nms_top_n_test = 1000;  // per image (MMDet: 1000 in training)
  double nms_threshold = 0.7;
  double foreground_iou = 0.7,
         background_iou = 0.3;  // anchor assignment (low-quality matches allowed)
  std::int64_t batch_size_per_image = 256;
  double positive_fraction = 0.5;
  double min_size = 1e-3, score_threshold = 0.0;
  double smooth_l1_beta = 1.0 / 9;  // 0 = L1 (MMDet's RPN loss)
};

struct RpnOutput {
  std::vector<engine::Tensor> proposals;     // per image [K_i, 4], detached, best first
  engine::Tensor objectness_loss, box_loss;  // scalars in training, undefined otherwise
};

class RegionProposalNetwork : public engine::nn::Module {
 public:
  RegionProposalNetwork(const RpnConfig& config,
                        const AnchorConfig& anchors,
                        std::int64_t channels);
  // features: P2..P6 [N, C, H_l, W_l] of a batch padded to batch_size (h, w); image_sizes: each
  // image's own size (h, w) inside the padding; gt_boxes: per image [G_i, 4] in training.
  RpnOutput forward(const std::vector<engine::Tensor>& features,
                    std::array<std::int64_t, 2> batch_size,
                    const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                    const std::vector<engine::Tensor>* gt_boxes,
                    engine::Generator& gen);
  std::shared_ptr<RpnHead> head;

 private:
  std::vector<engine::Tensor> select_proposals(
      const engine::Tensor& boxes,
      const engine::Tensor& objectness,
      const std::vector<std::int64_t>& per_level,
      const std::vector<std::array<std::int64_t, 2>>& image_sizes) const;
  RpnConfig config_;
  AnchorConfig anchors_;
};

}  // namespace models
