// CPU box arithmetic for detection (boxes are (x1, y1, x2, y2)): the IoU matrix, the box coder
// (encode / decode with weights and the dw/dh clamp, decode backward) and FPN level assignment.
#pragma once

#include <array>
#include <cstdint>

#include "engine/tensor.h"

namespace kernels::cpu {

// out[i, j] = IoU(a[i], b[j]); a [N, 4], b [M, 4], out [N, M], one dtype, contiguous.
// A pair whose union is zero (both boxes empty) gets 0 (torchvision gives NaN).
void box_iou(const engine::Tensor& a, const engine::Tensor& b, const engine::Tensor& out);

// Regression targets of `reference` (ground truth) relative to `proposals`, torchvision's encode:
// (wx dx / w, wy dy / h, ww log(w' / w), wh log(h' / h)); all [K, 4], contiguous, one dtype.
void encode_boxes(const engine::Tensor& reference,
                  const engine::Tensor& proposals,
                  const std::array<double, 4>& weights,
                  const engine::Tensor& out);

// Boxes from codes [K, 4 * C] relative to boxes [K, 4] (torchvision's decode): dw, dh are divided
// by their weights, then clamped to at most `clip`. out has codes' shape.
void decode_boxes(const engine::Tensor& codes,
                  const engine::Tensor& boxes,
                  const std::array<double, 4>& weights,
                  double clip,
                  const engine::Tensor& out);
// grad_codes = d(decode)/d(codes)^T grad_out; the clamp passes the gradient where dw <= clip.
void decode_boxes_backward(const engine::Tensor& grad_out,
                           const engine::Tensor& codes,
                           const engine::Tensor& boxes,
                           const std::array<double, 4>& weights,
                           double clip,
                           const engine::Tensor& grad_codes);

struct LevelMapping {
  std::int64_t k_min = 2, k_max = 5;
  double canonical_scale = 224, canonical_level = 4, eps = 1e-6;
};
// out[k] = clamp(floor(canonical_level + log2(sqrt(area_k) / canonical_scale) + eps), k_min, k_max)
// - k_min (torchvision's LevelMapper); boxes [K, 4], out i64 [K]. Boxes without positive area get
// 0.
void fpn_levels(const engine::Tensor& boxes, const LevelMapping& m, const engine::Tensor& out);

}  // namespace kernels::cpu
