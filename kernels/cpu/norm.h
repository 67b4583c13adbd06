// CPU normalisation core shared by batch, group and layer norm: each row of a contiguous
// [R, M] matrix is standardised (biased variance); the affine part is done by the callers.
#pragma once

#include "engine/tensor.h"

namespace kernels::cpu {

// y[r, :] = (x[r, :] - mean[r]) * rstd[r], rstd = 1 / sqrt(var + eps); mean, rstd: [R].
void row_norm_forward(const engine::Tensor& x,
                      double eps,
                      const engine::Tensor& y,
                      const engine::Tensor& mean,
                      const engine::Tensor& rstd);
// grad_x = rstd * (grad_y - mean(grad_y) - y * mean(grad_y * y)), means along each row.
void row_norm_backward(const engine::Tensor& grad_y,
                       const engine::Tensor& y,
                       const engine::Tensor& rstd,
                       const engine::Tensor& grad_x);

}  // namespace kernels::cpu
