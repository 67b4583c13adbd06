// f32 softmax, log_softmax (forward and backward) and logsumexp over the last dim of contiguous
// [rows, n] data on the device: a warp per row with warp-shuffle max and sum.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Semantics are the CPU oracle's (kernels/cpu/softmax.h, reduce.h): the row maximum is subtracted
// before exponentiating; sums are f32 in a fixed (deterministic) order. Device pointers,
// asynchronous on `stream`; rows == 0 or n == 0 launches nothing.

// y = softmax(x) or, with log, log_softmax(x) along each row; y may alias x.
void softmax_forward_f32(
    const float* x, std::int64_t rows, std::int64_t n, bool log, float* y, cudaStream_t stream);
// softmax:     grad_x = y * (grad_y - sum(grad_y * y))
// log_softmax: grad_x = grad_y - exp(y) * sum(grad_y)
void softmax_backward_f32(const float* grad_y,
                          const float* y,
                          std::int64_t rows,
                          std::int64_t n,
                          bool log,
                          float* grad_x,
                          cudaStream_t stream);
// out[r] = max + log(sum exp(x[r, :] - max)) (n > 0; a row of -inf gives -inf).
void logsumexp_f32(
    const float* x, std::int64_t rows, std::int64_t n, float* out, cudaStream_t stream);

}  // namespace kernels::cuda
