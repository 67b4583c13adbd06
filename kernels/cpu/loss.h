// CPU fused binary cross-entropy with logits, forward and backward, in the numerically stable
// log-sigmoid form (no overflow for large |x|, exact gradient at x = 0).
#pragma once

#include "engine/tensor.h"

namespace kernels::cpu {

// out = w * ((1 - t) x - (1 + (pw - 1) t) log_sigmoid(x)), elementwise. x, t, out contiguous with
// one shape and dtype; weight / pos_weight are undefined (meaning 1) or contiguous with x's shape.
void bce_with_logits(const engine::Tensor& x,
                     const engine::Tensor& t,
                     const engine::Tensor& weight,
                     const engine::Tensor& pos_weight,
                     const engine::Tensor& out);

// grad_x = g w ((1 + (pw - 1) t) sigmoid(x) - pw t),  grad_t = g w (-x - (pw - 1) log_sigmoid(x)).
// Either output may be undefined (not wanted); all defined tensors contiguous with x's shape.
void bce_with_logits_backward(const engine::Tensor& grad,
                              const engine::Tensor& x,
                              const engine::Tensor& t,
                              const engine::Tensor& weight,
                              const engine::Tensor& pos_weight,
                              const engine::Tensor& grad_x,
                              const engine::Tensor& grad_t);

}  // namespace kernels::cpu
