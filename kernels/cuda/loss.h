// Fused binary cross-entropy with logits on the device (f32), forward and backward, in the stable
// log-sigmoid form of the CPU oracle (kernels/cpu/loss.h).
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Device pointers to n contiguous elements each; weight / pos_weight may be null (meaning 1).
// Asynchronous on `stream`; nothing runs for n = 0.

// out = w ((1 - t) x - (1 + (pw - 1) t) log_sigmoid(x)).
void bce_with_logits_f32(const float* x,
                         const float* t,
                         const float* weight,
                         const float* pos_weight,
                         std::int64_t n,
                         float* out,
                         cudaStream_t stream);

// grad_x = g w ((1 + (pw - 1) t) sigmoid(x) - pw t), grad_t = g w (-x - (pw - 1) log_sigmoid(x));
// either output may be null (not wanted).
void bce_with_logits_backward_f32(const float* grad,
                                  const float* x,
                                  const float* t,
                                  const float* weight,
                                  const float* pos_weight,
                                  std::int64_t n,
                                  float* grad_x,
                                  float* grad_t,
                                  cudaStream_t stream);

}  // namespace kernels::cuda
