// The detector's learned heads with torchvision's names: the RPN head (3x3 conv + objectness and
// box-delta 1x1 convs), the TwoMLPHead box head, the class/box predictor and Dream-Box's energy
// OOD head (a scalar affine of the log-sum-exp of the foreground logits).
#pragma once

#include <memory>
#include <vector>

#include "engine/nn/conv_norm.h"
#include "engine/nn/layers.h"

namespace models {

using engine::Tensor;

class RpnHead : public engine::nn::Module {
 public:
  RpnHead(std::int64_t channels, std::int64_t anchors_per_location);
  struct Output {
    Tensor objectness;  // [N, sum_l H_l W_l A]      (level, row, column, anchor order)
    Tensor deltas;      // [N, sum_l H_l W_l A, 4]
  };
  Output predict(const std::vector<Tensor>& features);  // features: P2..P6, [N, C, H_l, W_l]
  // The raw convolution outputs of one level: objectness [N, A, H, W], deltas [N, 4A, H, W].
  std::pair<Tensor, Tensor> level(const Tensor& feature);

 private:
  std::shared_ptr<engine::nn::Conv2d> conv_, cls_logits_, bbox_pred_;
  std::int64_t anchors_;
};

// Flattened RoI features [R, C * 7 * 7] -> fc6 -> ReLU -> fc7 -> ReLU -> [R, representation].
class TwoMlpHead : public engine::nn::Module {
 public:
  TwoMlpHead(std::int64_t in_features, std::int64_t representation);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<engine::nn::Linear> fc6_, fc7_;
};

// cls_score [R, classes] and class-specific bbox_pred. torchvision: background at index 0 and
// deltas for every class [R, classes * 4]; MMDetection (background_last): background is the last
// logit and only the foreground classes regress, [R, (classes - 1) * 4].
class BoxPredictor : public engine::nn::Module {
 public:
  BoxPredictor(std::int64_t in_features, std::int64_t num_classes, bool background_last = false);
  struct Output {
    Tensor class_logits;  // [R, classes]
    Tensor box_deltas;    // [R, box classes * 4]
  };
  Output predict(const Tensor& x);

 private:
  std::shared_ptr<engine::nn::Linear> cls_score_, bbox_pred_;
};

// ood_logit = w * logsumexp(foreground logits) + b with a Linear(1, 1) named "fc_ood" (Dream-Box).
// background_index says which logit is background (0 in torchvision's convention, last in MMDet's).
class EnergyOodHead : public engine::nn::Module {
 public:
  explicit EnergyOodHead(std::int64_t background_index = 0);
  Tensor forward(const Tensor& class_logits) override;  // [R, classes] -> [R]

 private:
  std::shared_ptr<engine::nn::Linear> fc_ood_;
  std::int64_t background_index_;
};

}  // namespace models
