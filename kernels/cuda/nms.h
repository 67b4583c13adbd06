// Non-maximum suppression on the device (torchvision semantics and tie-breaking): a stable score
// ranking, a 64-bit IoU bitmask per box pair block, and a single-block greedy reduction.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Device bytes of scratch memory nms_f32 needs for n boxes.
std::size_t nms_workspace_bytes(std::int64_t n);

// boxes [n, 4] (x1, y1, x2, y2), scores [n] (no NaN), optional groups [n] (i64; null = one
// group; else boxes only suppress boxes of their own group: batched_nms). Writes the indices of
// the kept boxes by decreasing score, equal scores in input order, to kept[0 .. *kept_count)
// (kept has room for n; kept_count is one device i64). A box is dropped when its IoU with an
// already kept box exceeds iou_threshold (compared as torchvision's double comparison decides).
// Same result as kernels::cpu::nms / batched_nms, exactly. Device pointers; `workspace` holds
// nms_workspace_bytes(n) bytes (16-byte aligned). Asynchronous on `stream`.
void nms_f32(const float* boxes,
             const float* scores,
             const std::int64_t* groups,
             std::int64_t n,
             double iou_threshold,
             void* workspace,
             std::int64_t* kept,
             std::int64_t* kept_count,
             cudaStream_t stream);

}  // namespace kernels::cuda
