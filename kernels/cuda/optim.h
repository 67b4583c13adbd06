// Fused f32 optimizer updates on the device (one pass over each parameter, PyTorch's update
// formulas, as kernels/cpu/optim.h): SGD with momentum/dampening/nesterov/weight decay, AdamW.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// param [n] -= lr * d, d = grad + weight_decay * param, through the momentum buffer [n] when
// momentum != 0 (initialised to d on the first step; null otherwise). Device pointers.
void sgd_update_f32(float* param,
                    const float* grad,
                    float* momentum_buffer,
                    std::int64_t n,
                    double lr,
                    double momentum,
                    double dampening,
                    double weight_decay,
                    bool nesterov,
                    bool first_step,
                    cudaStream_t stream);

// Decoupled weight decay, then Adam with bias correction at `step` (1-based, after
// incrementing); exp_avg, exp_avg_sq [n] are updated in place. Coefficients are formed in double
// and rounded once, as the CPU oracle does.
void adamw_update_f32(float* param,
                      const float* grad,
                      float* exp_avg,
                      float* exp_avg_sq,
                      std::int64_t n,
                      double lr,
                      double beta1,
                      double beta2,
                      double eps,
                      double weight_decay,
                      std::int64_t step,
                      cudaStream_t stream);

}  // namespace kernels::cuda
