// Detection op front-ends with torchvision's names and semantics: RoIAlign (single and FPN
// multi-level), NMS, box IoU, the box coder, clipping and small-box removal. Boxes are (x1, y1, x2,
// y2).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace engine {

// ---- RoIAlign
// x [N, C, H, W] (f32/f64, H, W > 0), rois [K, 5] = (batch index, x1, y1, x2, y2) in input-image
// units, same dtype -> [K, C, PH, PW]. spatial_scale maps box units to feature pixels (1 / stride);
// sampling_ratio <= 0 samples ceil(roi size / output size) points per bin side; aligned shifts
// boxes by half a pixel (torchvision's aligned=True). Differentiable with respect to x only.
// Errors: wrong ranks, dtype mismatch, empty feature maps, non-finite box coordinates, a batch
// index that is not an integer in [0, N). Inverted boxes (x2 < x1) follow torchvision's arithmetic.
Tensor roi_align(const Tensor& x,
                 const Tensor& rois,
                 std::array<std::int64_t, 2> output_size,
                 double spatial_scale = 1.0,
                 std::int64_t sampling_ratio = -1,
                 bool aligned = false);

// Per-image boxes {[K_i, 4]} -> rois [sum K_i, 5] with the image index in column 0.
Tensor boxes_to_rois(const std::vector<Tensor>& boxes);

// torchvision's LevelMapper: for boxes [K, 4] (image units) returns i64 [K] of
// clamp(floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps), k_min, k_max) - k_min.
// Boxes with zero, negative or NaN area map to 0 (the finest level).
Tensor fpn_level_assignment(const Tensor& boxes,
                            std::int64_t k_min,
                            std::int64_t k_max,
                            double canonical_scale = 224,
                            double canonical_level = 4,
                            double eps = 1e-6);

// torchvision's MultiScaleRoIAlign over FPN maps: features[l] [N, C, H_l, W_l] with scales[l]
// (powers of two, finest first, e.g. 1/4 .. 1/32) and k_min = -log2(scales[0]); each roi is
// pooled from the level fpn_level_assignment picks. -> [K, C, PH, PW], differentiable in features.
Tensor multi_scale_roi_align(const std::vector<Tensor>& features,
                             const Tensor& rois,
                             const std::vector<double>& scales,
                             std::array<std::int64_t, 2> output_size,
                             std::int64_t sampling_ratio = 2,
                             bool aligned = false,
                             double canonical_scale = 224,
                             double canonical_level = 4);

// ---- NMS (not differentiable)
// boxes [K, 4], scores [K] (same floating dtype) -> i64 indices of kept boxes, highest score first;
// ties keep input order. A box is removed when its IoU with a kept box is > iou_threshold. Zero
// boxes give an empty [0] tensor. Inverted boxes overlap nothing, so they are never suppressed
// (as torchvision; run remove_small_boxes first). NaN scores and non-finite coordinates are errors.
Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold);
// As nms, but only boxes with equal idxs [K] (i64/i32 class or level ids) suppress each other.
Tensor batched_nms(const Tensor& boxes,
                   const Tensor& scores,
                   const Tensor& idxs,
                   double iou_threshold);

// ---- box arithmetic
// a [N, 4], b [M, 4] -> IoU [N, M] (not differentiable). Pairs with zero union get 0, not NaN.
Tensor box_iou(const Tensor& a, const Tensor& b);
// boxes [..., 4] -> [...] (x2 - x1) * (y2 - y1) (differentiable).
Tensor box_area(const Tensor& boxes);

using BoxWeights =
    std::array<double, 4>;  // (wx, wy, ww, wh): (1, 1, 1, 1) RPN, (10, 10, 5, 5) RoI head
inline constexpr double kBoxScaleClamp =
    4.135166556742356;  // log(1000 / 16), torchvision's bbox_xform_clip
// Regression targets of reference boxes (ground truth) [K, 4] relative to proposals [K, 4] -> [K,
// 4] (not differentiable, as targets are constants).
Tensor encode_boxes(const Tensor& reference, const Tensor& proposals, const BoxWeights& weights);
// codes [K, 4 * C] applied to boxes [K, 4] -> boxes [K, 4 * C]; dw, dh (after dividing by their
// weights) are clamped to at most `clip`. Differentiable with respect to codes.
Tensor decode_boxes(const Tensor& codes,
                    const Tensor& boxes,
                    const BoxWeights& weights,
                    double clip = kBoxScaleClamp);
// boxes [..., 4] with x clamped to [0, width] and y to [0, height] (differentiable).
Tensor clip_boxes_to_image(const Tensor& boxes, double height, double width);
// i64 indices of the boxes [K, 4] whose width and height are both >= min_size (NaN boxes removed).
Tensor remove_small_boxes(const Tensor& boxes, double min_size);

}  // namespace engine
