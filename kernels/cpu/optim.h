// Fused CPU optimizer updates (one pass over each parameter), with PyTorch's update formulas;
// the CUDA backend provides the same two functions.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace kernels::cpu {

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer is initialised to the (decayed) gradient
};
// param, grad, momentum_buffer: contiguous, one shape and dtype; buffer unused without momentum.
void sgd_update(const engine::Tensor& param,
                const engine::Tensor& grad,
                const engine::Tensor& momentum_buffer,
                const SgdHyper& h);

struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay;
  std::int64_t step;  // 1-based, after incrementing
};
void adamw_update(const engine::Tensor& param,
                  const engine::Tensor& grad,
                  const engine::Tensor& exp_avg,
                  const engine::Tensor& exp_avg_sq,
                  const AdamWHyper& h);

// Sum of squares of a contiguous floating tensor, accumulated in double.
double sum_of_squares(const engine::Tensor& t);

}  // namespace kernels::cpu
