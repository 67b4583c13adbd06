// CPU softmax and log-softmax along one dim, forward and backward, on contiguous tensors
// viewed as [outer, dim, inner].
#pragma once

#include "engine/tensor.h"

namespace kernels::cpu {

// y = softmax(x) or log_softmax(x) along dim; x and y contiguous with one shape.
void softmax(const engine::Tensor& x, std::int64_t dim, bool log, const engine::Tensor& y);
// grad_x from grad_y and y (the forward output); all contiguous with one shape.
//   softmax:     grad_x = y * (grad_y - sum(grad_y * y))
//   log_softmax: grad_x = grad_y - exp(y) * sum(grad_y)
void softmax_backward(const engine::Tensor& grad_y,
                      const engine::Tensor& y,
                      std::int64_t dim,
                      bool log,
                      const engine::Tensor& grad_x);

}  // namespace kernels::cpu
