// GroupNorm fused with its affine, the UNet's per-sample scale-shift and SiLU on the CPU: one
// forward pass (bit-identical to the separate ops) and the backward of all five inputs.
#pragma once

#include "engine/tensor.h"

namespace kernels::cpu {

// out = silu(((y * weight[c] + bias[c]) * scale1[n, c]) + shift[n, c]) for x [N, C, P]
// (contiguous), y = x standardised over each of the `groups` channel groups of a sample. The
// statistics and every float operation are those of row_norm_forward and the unfused ops, in
// the same order, so the result is bit-identical. weight, bias, scale1, shift ([C], [C], [N, C],
// [N, C], contiguous) may each be undefined (1 or 0). mean and rstd ([N * groups]: the group's
// mean and 1 / sqrt(var + eps)) are written when defined.
void group_norm_silu(const engine::Tensor& x,
                     std::int64_t groups,
                     double eps,
                     const engine::Tensor& weight,
                     const engine::Tensor& bias,
                     const engine::Tensor& scale1,
                     const engine::Tensor& shift,
                     const engine::Tensor& out,
                     const engine::Tensor& mean = {},
                     const engine::Tensor& rstd = {});

// The gradients of group_norm_silu's output: those defined in `grads` are overwritten (x [N, C,
// P], weight and bias [C], scale1 and shift [N, C], contiguous). mean and rstd are the
// forward's; grad_out [N, C, P] contiguous.
struct GroupNormSiluGrads {
  engine::Tensor x, weight, bias, scale1, shift;
};
void group_norm_silu_backward(const engine::Tensor& grad_out,
                              const engine::Tensor& x,
                              std::int64_t groups,
                              const engine::Tensor& mean,
                              const engine::Tensor& rstd,
                              const engine::Tensor& weight,
                              const engine::Tensor& bias,
                              const engine::Tensor& scale1,
                              const engine::Tensor& shift,
                              const GroupNormSiluGrads& grads);

}  // namespace kernels::cpu
