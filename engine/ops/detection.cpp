// Detection op front-ends: input validation with messages naming shapes and values, kernel
// dispatch, autograd for roi_align / decode_boxes, and the FPN multi-level RoIAlign composition.
#include <cmath>

#include "engine/autograd.h"
#include "engine/detection_ops.h"
#include "engine/device_kernel.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/select_ops.h"
#include "kernels/cpu/box_ops.h"
#include "kernels/cpu/nms.h"
#include "kernels/cpu/roi_align.h"

namespace engine {

using autograd::NeedsGrad;

namespace {

// boxes must be a floating [K, width] tensor (width 4 for boxes, 5 for rois).
void check_box_tensor(const Tensor& boxes, std::int64_t width, const char* op, const char* what) {
  ENGINE_CHECK(boxes.defined(), op, ": ", what, " is undefined");
  ENGINE_CHECK(boxes.dim() == 2 && boxes.size(1) == width, op, ": ", what, " must be [K, ", width,
               "], got ", boxes.str());
  ENGINE_CHECK(is_floating(boxes.dtype()), op, ": ", what, " must be f32 or f64, got ",
               boxes.str());
}

// Throws naming the first NaN (and, unless allow_inf, infinite) element of t.
void check_finite(const Tensor& t, bool allow_inf, const char* op, const char* what) {
  const Tensor c = t.cpu().contiguous();  // checked on the host (a cuda tensor is copied)
  dispatch_float(c.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* p = c.data_ptr<T>();
    for (std::int64_t i = 0; i < c.numel(); ++i)
      ENGINE_CHECK(!std::isnan(p[i]) && (allow_inf || std::isfinite(p[i])), op, ": ", what, " ",
                   t.str(), " holds the non-finite value ", p[i], " at flat element ", i,
                   " (check the model for divergence before post-processing)");
  });
}

void check_box_weights(const BoxWeights& w, const char* op) {
  for (double v : w)
    ENGINE_CHECK(std::isfinite(v) && v > 0, op, ": box weights must be positive, got (", w[0], ", ",
                 w[1], ", ", w[2], ", ", w[3], ")");
}

}  // namespace

// ---- RoIAlign

Tensor roi_align(const Tensor& x_in,
                 const Tensor& rois_in,
                 std::array<std::int64_t, 2> output_size,
                 double spatial_scale,
                 std::int64_t sampling_ratio,
                 bool aligned) {
  const char* op = "roi_align";
  ENGINE_CHECK(x_in.dim() == 4, op, ": input must be [N, C, H, W], got ", x_in.str());
  ENGINE_CHECK(is_floating(x_in.dtype()), op, ": input must be f32 or f64, got ", x_in.str());
  check_box_tensor(rois_in, 5, op, "rois (batch index, x1, y1, x2, y2)");
  check_same_dtype(x_in, rois_in, op);
  check_same_device(x_in, rois_in, op);
  ENGINE_CHECK(x_in.size(2) > 0 && x_in.size(3) > 0, op, ": feature map ", x_in.str(),
               " has zero height or width");
  ENGINE_CHECK(output_size[0] > 0 && output_size[1] > 0, op,
               ": output size must be positive, got (", output_size[0], ", ", output_size[1], ")");
  ENGINE_CHECK(std::isfinite(spatial_scale) && spatial_scale > 0, op,
               ": spatial_scale must be positive, got ", spatial_scale);
  const Tensor x = x_in.contiguous(), rois = rois_in.detach().contiguous();
  const Tensor rois_host = rois.device().is_cuda() ? rois.cpu() : rois;  // checked on the host
  check_finite(rois_host, false, op, "rois");
  const std::int64_t batch = x.size(0);
  dispatch_float(rois.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* r = rois_host.data_ptr<T>();
    for (std::int64_t k = 0; k < rois.size(0); ++k)
      ENGINE_CHECK(
          r[k * 5] >= 0 && r[k * 5] < static_cast<T>(batch) && std::floor(r[k * 5]) == r[k * 5], op,
          ": roi ", k, " has batch index ", r[k * 5], ", which is not an integer in [0, ", batch,
          ") for input ", x.str());
  });
  const kernels::cpu::RoiAlignParams params{output_size[0], output_size[1], spatial_scale,
                                            sampling_ratio, aligned};
  Tensor out = empty({rois.size(0), x.size(1), output_size[0], output_size[1]},
                     {.dtype = x.dtype(), .device = x.device()});
  if (out.numel() > 0) DEVICE_KERNEL(out, roi_align(x, rois, params, out));
  autograd::record(op, out, {x},
                   [rois, params, x_shape = x.shape()](const Tensor& g, const NeedsGrad&) {
                     Tensor gx = zeros(x_shape, {.dtype = g.dtype(), .device = g.device()});
                     if (g.numel() > 0)
                       DEVICE_KERNEL(gx, roi_align_backward(g.contiguous(), rois, params, gx));
                     return std::vector<Tensor>{gx};
                   });
  return out;
}

Tensor boxes_to_rois(const std::vector<Tensor>& boxes) {
  ENGINE_CHECK(!boxes.empty(), "boxes_to_rois: needs at least one image's boxes");
  std::vector<Tensor> parts;
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    check_box_tensor(boxes[i], 4, "boxes_to_rois", "boxes");
    check_same_dtype(boxes[0], boxes[i], "boxes_to_rois");
    const Tensor index = full({boxes[i].size(0), 1}, static_cast<double>(i),
                              {.dtype = boxes[i].dtype(), .device = boxes[i].device()});
    parts.push_back(cat({index, boxes[i]}, 1));
  }
  return cat(parts, 0);
}

Tensor fpn_level_assignment(const Tensor& boxes,
                            std::int64_t k_min,
                            std::int64_t k_max,
                            double canonical_scale,
                            double canonical_level,
                            double eps) {
  const char* op = "fpn_level_assignment";
  check_box_tensor(boxes, 4, op, "boxes");
  ENGINE_CHECK(k_min <= k_max, op, ": k_min ", k_min, " is greater than k_max ", k_max);
  ENGINE_CHECK(canonical_scale > 0, op, ": canonical_scale must be positive, got ",
               canonical_scale);
  Tensor out = empty({boxes.size(0)}, {.dtype = DType::i64, .device = boxes.device()});
  const kernels::cpu::LevelMapping mapping{k_min, k_max, canonical_scale, canonical_level, eps};
  DEVICE_KERNEL(out, fpn_levels(boxes.contiguous(), mapping, out));
  return out;
}

Tensor multi_scale_roi_align(const std::vector<Tensor>& features,
                             const Tensor& rois,
                             const std::vector<double>& scales,
                             std::array<std::int64_t, 2> output_size,
                             std::int64_t sampling_ratio,
                             bool aligned,
                             double canonical_scale,
                             double canonical_level) {
  const char* op = "multi_scale_roi_align";
  ENGINE_CHECK(!features.empty() && features.size() == scales.size(), op, ": got ", features.size(),
               " feature maps and ", scales.size(),
               " scales (need one scale per map, at least one)");
  check_box_tensor(rois, 5, op, "rois");
  for (std::size_t l = 0; l < features.size(); ++l) {
    ENGINE_CHECK(features[l].dim() == 4 && features[l].size(0) == features[0].size(0) &&
                     features[l].size(1) == features[0].size(1),
                 op, ": feature map ", l, " ", features[l].str(), " does not match map 0 ",
                 features[0].str(), " in batch and channels");
    ENGINE_CHECK(
        scales[l] > 0 && std::abs(scales[l] - scales[0] / std::exp2(static_cast<double>(l))) <=
                             1e-12 * scales[0],
        op, ": scales must halve from level to level (FPN), got scale ", scales[l], " at level ", l,
        " after ", scales[0]);
  }
  const double level0 = -std::log2(scales[0]);
  ENGINE_CHECK(std::abs(level0 - std::round(level0)) < 1e-9, op, ": scale ", scales[0],
               " is not a power of two");
  if (features.size() == 1)
    return roi_align(features[0], rois, output_size, scales[0], sampling_ratio, aligned);
  const auto k_min = static_cast<std::int64_t>(std::round(level0));
  const auto k_max = k_min + static_cast<std::int64_t>(features.size()) - 1;
  const Tensor levels = fpn_level_assignment(rois.detach().narrow(1, 1, 4).contiguous(), k_min,
                                             k_max, canonical_scale, canonical_level);
  // Pool each level's boxes, then put the rows back in roi order with one gather.
  std::vector<Tensor> pooled, order;
  for (std::size_t l = 0; l < features.size(); ++l) {
    const Tensor idx = nonzero(eq(levels, static_cast<double>(l))).reshape({-1});  // [K_l]
    pooled.push_back(roi_align(features[l], index_select(rois.detach(), 0, idx), output_size,
                               scales[l], sampling_ratio, aligned));
    order.push_back(idx);
  }
  return index_select(cat(pooled, 0), 0, argsort(cat(order, 0)));
}

// ---- NMS

namespace {
void check_nms_inputs(const Tensor& boxes,
                      const Tensor& scores,
                      double iou_threshold,
                      const char* op) {
  check_box_tensor(boxes, 4, op, "boxes");
  ENGINE_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), op, ": scores ", scores.str(),
               " must be [K] for boxes ", boxes.str());
  check_same_dtype(boxes, scores, op);
  check_same_device(boxes, scores, op);
  ENGINE_CHECK(!std::isnan(iou_threshold), op, ": iou_threshold is NaN");
  check_finite(boxes, false, op, "boxes");
  check_finite(scores, true, op, "scores");
}
}  // namespace

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  check_nms_inputs(boxes, scores, iou_threshold, "nms");
  const Tensor b = boxes.detach().contiguous(), s = scores.detach().contiguous();
  return b.device().is_cuda() ? cuda_backend::nms(b, s, iou_threshold)
                              : kernels::cpu::nms(b, s, iou_threshold);
}

Tensor batched_nms(const Tensor& boxes,
                   const Tensor& scores,
                   const Tensor& idxs,
                   double iou_threshold) {
  check_nms_inputs(boxes, scores, iou_threshold, "batched_nms");
  check_same_device(boxes, idxs, "batched_nms");
  ENGINE_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0), "batched_nms: idxs ", idxs.str(),
               " must be [K] for boxes ", boxes.str());
  ENGINE_CHECK(idxs.dtype() == DType::i64 || idxs.dtype() == DType::i32,
               "batched_nms: idxs must be i64 or i32, got ", idxs.str());
  const Tensor b = boxes.detach().contiguous(), s = scores.detach().contiguous(),
               i = idxs.contiguous();
  return b.device().is_cuda() ? cuda_backend::batched_nms(b, s, i, iou_threshold)
                              : kernels::cpu::batched_nms(b, s, i, iou_threshold);
}

// ---- box arithmetic

Tensor box_iou(const Tensor& a, const Tensor& b) {
  check_box_tensor(a, 4, "box_iou", "boxes1");
  check_box_tensor(b, 4, "box_iou", "boxes2");
  check_same_dtype(a, b, "box_iou");
  check_same_device(a, b, "box_iou");
  Tensor out = empty({a.size(0), b.size(0)}, {.dtype = a.dtype(), .device = a.device()});
  DEVICE_KERNEL(out, box_iou(a.detach().contiguous(), b.detach().contiguous(), out));
  return out;
}

Tensor box_area(const Tensor& boxes) {
  ENGINE_CHECK(boxes.dim() >= 1 && boxes.size(-1) == 4, "box_area: boxes must be [..., 4], got ",
               boxes.str());
  const std::int64_t last = boxes.dim() - 1;
  return mul(sub(boxes.select(last, 2), boxes.select(last, 0)),
             sub(boxes.select(last, 3), boxes.select(last, 1)));
}

Tensor encode_boxes(const Tensor& reference, const Tensor& proposals, const BoxWeights& weights) {
  check_same_device(reference, proposals, "encode_boxes");
  check_box_tensor(reference, 4, "encode_boxes", "reference boxes");
  check_box_tensor(proposals, 4, "encode_boxes", "proposals");
  check_same_dtype(reference, proposals, "encode_boxes");
  ENGINE_CHECK(reference.size(0) == proposals.size(0), "encode_boxes: reference ", reference.str(),
               " and proposals ", proposals.str(), " must have one row each per box");
  check_box_weights(weights, "encode_boxes");
  Tensor out = empty(reference.shape(), {.dtype = reference.dtype(), .device = reference.device()});
  DEVICE_KERNEL(out, encode_boxes(reference.detach().contiguous(), proposals.detach().contiguous(),
                                  weights, out));
  return out;
}

Tensor decode_boxes(const Tensor& codes_in,
                    const Tensor& boxes_in,
                    const BoxWeights& weights,
                    double clip) {
  const char* op = "decode_boxes";
  check_same_device(codes_in, boxes_in, op);
  check_box_tensor(boxes_in, 4, op, "boxes");
  ENGINE_CHECK(codes_in.dim() == 2 && codes_in.size(0) == boxes_in.size(0) &&
                   codes_in.size(1) % 4 == 0 && codes_in.size(1) > 0,
               op, ": codes ", codes_in.str(), " must be [K, 4 * C] for boxes ", boxes_in.str());
  check_same_dtype(codes_in, boxes_in, op);
  check_box_weights(weights, op);
  ENGINE_CHECK(!std::isnan(clip), op, ": clip is NaN");
  const Tensor codes = codes_in.contiguous(), boxes = boxes_in.detach().contiguous();
  Tensor out = empty_like(codes);
  DEVICE_KERNEL(out, decode_boxes(codes, boxes, weights, clip, out));
  autograd::record(
      op, out, {codes},
      [codes = codes.detach(), boxes, weights, clip](const Tensor& g, const NeedsGrad&) {
        Tensor gc = empty_like(codes);
        DEVICE_KERNEL(gc, decode_boxes_backward(g.contiguous(), codes, boxes, weights, clip, gc));
        return std::vector<Tensor>{gc};
      });
  return out;
}

Tensor clip_boxes_to_image(const Tensor& boxes, double height, double width) {
  ENGINE_CHECK(boxes.dim() >= 1 && boxes.size(-1) == 4,
               "clip_boxes_to_image: boxes must be [..., 4], got ", boxes.str());
  ENGINE_CHECK(height >= 0 && width >= 0, "clip_boxes_to_image: image size (", height, ", ", width,
               ") must not be negative");
  Shape pairs = boxes.shape();
  pairs.back() = 2;
  pairs.push_back(2);  // [..., corner, (x, y)]
  const Tensor limits =
      from_vector<double>({width, height}, {2}, {.dtype = boxes.dtype(), .device = boxes.device()});
  return minimum(clamp(boxes.reshape(pairs), 0.0, std::nullopt), limits).reshape(boxes.shape());
}

Tensor remove_small_boxes(const Tensor& boxes, double min_size) {
  check_box_tensor(boxes, 4, "remove_small_boxes", "boxes");
  const Tensor b = boxes.detach();
  const Tensor w = sub(b.select(1, 2), b.select(1, 0)), h = sub(b.select(1, 3), b.select(1, 1));
  return nonzero(logical_and(ge(w, min_size), ge(h, min_size))).reshape({-1});
}

}  // namespace engine
