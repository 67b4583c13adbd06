// CPU non-maximum suppression (torchvision semantics): greedy suppression in score order, and
// the per-class (batched) variant. Callers have validated shapes and rejected NaN inputs.
#pragma once

#include "engine/tensor.h"

namespace kernels::cpu {

// boxes [K, 4] (x1, y1, x2, y2), scores [K] (same dtype), contiguous. Returns the i64 indices of
// the kept boxes by decreasing score; equal scores keep their input order (stable sort). A box is
// dropped when its IoU with an already kept box is > iou_threshold.
engine::Tensor nms(const engine::Tensor& boxes, const engine::Tensor& scores, double iou_threshold);

// As nms, but boxes only suppress boxes with the same idxs value (idxs [K], i32 or i64), which
// is what torchvision's batched_nms computes. The result is ordered as nms orders it.
engine::Tensor batched_nms(const engine::Tensor& boxes,
                           const engine::Tensor& scores,
                           const engine::Tensor& idxs,
                           double iou_threshold);

}  // namespace kernels::cpu
