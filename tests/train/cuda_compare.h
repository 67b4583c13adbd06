// Helpers of the cuda-vs-CPU detector tests: detector weights whose scores spread out, and the
// largest difference between a cuda result and the CPU's.
#pragma once

#include <string>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/faster_rcnn.h"

namespace cuda_compare {

// Scales the RPN objectness weights and the foreground rows of the class-score weights x30
// (background: row 0, torchvision's layout): a fresh detector scores anchors and RoIs within
// ~1e-3 of each other, so NMS and top-k order would be decided by rounding (which differs
// between devices), and it calls every RoI background. Spread out, the order is the model's, and
// foreground classes win on some RoIs.
inline void spread_scores(models::FasterRcnn& model) {
  engine::autograd::NoGradGuard no_grad;
  for (const auto& [name, t] : model.named_parameters()) {
    if (name == "rpn.head.cls_logits.weight") t.copy_(engine::mul(t, 30.0));
    if (name == "roi_heads.box_predictor.cls_score.weight") {
      const engine::Tensor foreground = t.narrow(0, 1, t.size(0) - 1);
      foreground.copy_(engine::mul(foreground, 30.0));
    }
  }
}

inline double max_abs(const engine::Tensor& t) {
  if (t.numel() == 0) return 0.0;
  return engine::amax(engine::abs(t.cpu().to(engine::DType::f64)), {}).item();
}

// max |a - b| over the elements (a on any device, b on the CPU).
inline double max_diff(const engine::Tensor& a, const engine::Tensor& b) {
  return max_abs(engine::sub(a.cpu().to(engine::DType::f64), b.cpu().to(engine::DType::f64)));
}

}  // namespace cuda_compare
