// f32 box arithmetic for detection on the device (boxes are (x1, y1, x2, y2)): the IoU matrix,
// the box coder (encode, decode with the dw/dh clamp, decode backward) and FPN level assignment.
#pragma once

#include <array>
#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Semantics are the CPU oracle's (kernels/cpu/box_ops.h); device pointers, contiguous,
// asynchronous on `stream`. log/exp are the device's (within a few ulp of the host's).

// out [n, m] = IoU(a [n, 4], b [m, 4]); a pair whose union is zero gets 0. Exact: the oracle's
// float operations, unfused.
void box_iou_f32(const float* a,
                 std::int64_t n,
                 const float* b,
                 std::int64_t m,
                 float* out,
                 cudaStream_t stream);

// out [k, 4] = regression targets of reference [k, 4] relative to proposals [k, 4]:
// (wx dx / w, wy dy / h, ww log(w' / w), wh log(h' / h)).
void encode_boxes_f32(const float* reference,
                      const float* proposals,
                      std::int64_t k,
                      const std::array<double, 4>& weights,
                      float* out,
                      cudaStream_t stream);

// out [k, 4 c] = boxes decoded from codes [k, 4 c] relative to boxes [k, 4]; dw, dh are divided
// by their weights and clamped to at most `clip` (log(1000 / 16) in torchvision).
void decode_boxes_f32(const float* codes,
                      const float* boxes,
                      std::int64_t k,
                      std::int64_t classes,
                      const std::array<double, 4>& weights,
                      double clip,
                      float* out,
                      cudaStream_t stream);
// grad_codes [k, 4 c] from grad_out [k, 4 c]; the clamp passes the gradient where dw <= clip.
void decode_boxes_backward_f32(const float* grad_out,
                               const float* codes,
                               const float* boxes,
                               std::int64_t k,
                               std::int64_t classes,
                               const std::array<double, 4>& weights,
                               double clip,
                               float* grad_codes,
                               cudaStream_t stream);

// torchvision's LevelMapper (kernels/cpu/box_ops.h fpn_levels): out[k] (i64) =
// clamp(floor(canonical_level + log2(sqrt(area_k) / canonical_scale) + eps), k_min, k_max) - k_min
// for boxes [k, 4], in f32 as the oracle's f32 path; boxes without positive area get 0.
struct FpnLevelMapping {
  std::int64_t k_min, k_max;
  double canonical_scale, canonical_level, eps;
};
void fpn_levels_f32(const float* boxes,
                    std::int64_t k,
                    const FpnLevelMapping& m,
                    std::int64_t* out,
                    cudaStream_t stream);

}  // namespace kernels::cuda
