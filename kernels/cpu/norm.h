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
// Inference GroupNorm fused with its affine, an optional per-sample scale-shift and SiLU, one
// pass over x [N, C, P] (contiguous): out = silu(((y * weight[c] + bias[c]) * scale1[n, c]) +
// shift[n, c]), y = x standardised over each of the `groups` channel groups of a sample. The
// statistics and every float operation are those of row_norm_forward and the unfused ops, in
// the same order, so the result is bit-identical. weight, bias, scale1, shift ([C], [C],
// [N, C], [N, C], contiguous) may each be undefined.
void group_norm_silu(const engine::Tensor& x,
                     std::int64_t groups,
                     double eps,
                     const engine::Tensor& weight,
                     const engine::Tensor& bias,
                     const engine::Tensor& scale1,
                     const engine::Tensor& shift,
                     const engine::Tensor& out);
// grad_x = rstd * (grad_y - mean(grad_y) - y * mean(grad_y * y)), means along each row.
void row_norm_backward(const engine::Tensor& grad_y,
                       const engine::Tensor& y,
                       const engine::Tensor& rstd,
                       const engine::Tensor& grad_x);

}  // namespace kernels::cpu
