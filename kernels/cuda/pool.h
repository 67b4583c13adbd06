// f32 2-D pooling on the device (contiguous NCHW viewed as [planes, H, W]): max with argmax
// indices, average (count_include_pad) and adaptive average, each with its backward.
#pragma once

#include <cstdint>

#include "kernels/cpu/geometry.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

using kernels::cpu::Pool2dGeometry;

// Semantics are the CPU oracle's (kernels/cpu/pool.h); device pointers, asynchronous on `stream`.
// Backward kernels gather (one thread per input element, adding its outputs in the oracle's
// order): they write every element of grad_x, need no zero-fill and no atomics, and are
// deterministic.

// out [planes, out_h, out_w]; indices (i64) = h * W + w of the first maximum (NaN wins; -1 when
// the window lies entirely in the padding).
void max_pool2d_forward_f32(const float* x,
                            const Pool2dGeometry& g,
                            float* out,
                            std::int64_t* indices,
                            cudaStream_t stream);
void max_pool2d_backward_f32(const float* grad_out,
                             const std::int64_t* indices,
                             const Pool2dGeometry& g,
                             float* grad_x,
                             cudaStream_t stream);

// Windows ignore dilation, as the oracle's; count_include_pad divides by the window clipped to
// the padded input instead of to the input.
void avg_pool2d_forward_f32(const float* x,
                            const Pool2dGeometry& g,
                            bool count_include_pad,
                            float* out,
                            cudaStream_t stream);
void avg_pool2d_backward_f32(const float* grad_out,
                             const Pool2dGeometry& g,
                             bool count_include_pad,
                             float* grad_x,
                             cudaStream_t stream);

// Output cell i covers input rows [floor(i H / out_h), ceil((i + 1) H / out_h)) (same for columns).
void adaptive_avg_pool2d_forward_f32(const float* x,
                                     const Pool2dGeometry& g,
                                     float* out,
                                     cudaStream_t stream);
void adaptive_avg_pool2d_backward_f32(const float* grad_out,
                                      const Pool2dGeometry& g,
                                      float* grad_x,
                                      cudaStream_t stream);

}  // namespace kernels::cuda
