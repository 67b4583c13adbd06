// The CUDA backend's detection ops: NMS (one kernel pipeline; the kept count is read back, the only
// host sync), the IoU matrix, the box coder and FPN level assignment, f32 boxes on the device.
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/box_ops.h"
#include "kernels/cuda/nms.h"

namespace engine::cuda_backend {

namespace {
// groups: i64 [n] on the device, or undefined for plain nms.
Tensor run_nms(const Tensor& boxes, const Tensor& scores, const Tensor& groups, double threshold) {
  const char* op = groups.defined() ? "batched_nms" : "nms";
  const std::int64_t n = boxes.size(0);
  const TensorOptions on_device{.dtype = DType::i64, .device = boxes.device()};
  const Tensor workspace = empty({static_cast<std::int64_t>(kernels::cuda::nms_workspace_bytes(n))},
                                 {.dtype = DType::u8, .device = boxes.device()});
  const Tensor kept = empty({n}, on_device), count = empty({}, on_device);
  kernels::cuda::nms_f32(f32(boxes, op), f32(scores, op),
                         groups.defined() ? device_pointer<const std::int64_t>(groups) : nullptr, n,
                         threshold, device_pointer(workspace), device_pointer<std::int64_t>(kept),
                         device_pointer<std::int64_t>(count), stream());
  return kept.narrow(0, 0, static_cast<std::int64_t>(count.item()));
}
}  // namespace

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  return run_nms(boxes, scores, Tensor(), iou_threshold);
}

Tensor batched_nms(const Tensor& boxes,
                   const Tensor& scores,
                   const Tensor& idxs,
                   double iou_threshold) {
  return run_nms(boxes, scores, idxs.to(DType::i64).contiguous(), iou_threshold);
}

void box_iou(const Tensor& a, const Tensor& b, const Tensor& out) {
  kernels::cuda::box_iou_f32(f32(a, "box_iou"), a.size(0), f32(b, "box_iou"), b.size(0),
                             f32(out, "box_iou"), stream());
}

void encode_boxes(const Tensor& reference,
                  const Tensor& proposals,
                  const std::array<double, 4>& weights,
                  const Tensor& out) {
  kernels::cuda::encode_boxes_f32(f32(reference, "encode_boxes"), f32(proposals, "encode_boxes"),
                                  reference.size(0), weights, f32(out, "encode_boxes"), stream());
}

void decode_boxes(const Tensor& codes,
                  const Tensor& boxes,
                  const std::array<double, 4>& weights,
                  double clip,
                  const Tensor& out) {
  kernels::cuda::decode_boxes_f32(f32(codes, "decode_boxes"), f32(boxes, "decode_boxes"),
                                  boxes.size(0), codes.size(1) / 4, weights, clip,
                                  f32(out, "decode_boxes"), stream());
}

void decode_boxes_backward(const Tensor& grad_out,
                           const Tensor& codes,
                           const Tensor& boxes,
                           const std::array<double, 4>& weights,
                           double clip,
                           const Tensor& grad_codes) {
  const char* op = "decode_boxes backward";
  kernels::cuda::decode_boxes_backward_f32(f32(grad_out, op), f32(codes, op), f32(boxes, op),
                                           boxes.size(0), codes.size(1) / 4, weights, clip,
                                           f32(grad_codes, op), stream());
}

void fpn_levels(const Tensor& boxes, const kernels::cpu::LevelMapping& m, const Tensor& out) {
  kernels::cuda::fpn_levels_f32(f32(boxes, "fpn_level_assignment"), boxes.size(0),
                                {m.k_min, m.k_max, m.canonical_scale, m.canonical_level, m.eps},
                                device_pointer<std::int64_t>(out), stream());
}

}  // namespace engine::cuda_backend
