// f32 2-D resizing on the device (contiguous NCHW viewed as [planes, H, W]): nearest (any integer
// factor or target size, PyTorch's legacy index rule) and bilinear, each with its backward.
#pragma once

#include "kernels/cpu/geometry.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

using kernels::cpu::ResizeGeometry;

// Semantics and source coordinates are the CPU oracle's (kernels/cpu/resize.h), computed with the
// same float operations (no contraction into fma), so the sampled indices agree exactly. Device
// pointers, asynchronous on `stream`. Backward kernels gather (a thread per input element finds
// the outputs that sample it): every element of grad_x is written, no atomics, deterministic.

// out [planes, out_h, out_w] <- x [planes, in_h, in_w]
void upsample_nearest2d_f32(const float* x,
                            const ResizeGeometry& g,
                            float* out,
                            cudaStream_t stream);
void upsample_nearest2d_backward_f32(const float* grad_out,
                                     const ResizeGeometry& g,
                                     float* grad_x,
                                     cudaStream_t stream);
// align_corners false (the half-pixel rule, sources clamped at 0) or true.
void upsample_bilinear2d_f32(const float* x,
                             const ResizeGeometry& g,
                             float* out,
                             cudaStream_t stream);
void upsample_bilinear2d_backward_f32(const float* grad_out,
                                      const ResizeGeometry& g,
                                      float* grad_x,
                                      cudaStream_t stream);

}  // namespace kernels::cuda
