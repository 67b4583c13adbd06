// Loss functions with PyTorch / torchvision names and semantics, each with reduction none / mean
// / sum: cross entropy, BCE with logits, sigmoid focal loss, smooth L1, L1 and MSE.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace engine {

enum class Reduction { none, mean, sum };

// logits [N, C] or [N, C, d1, ...] (or [C] with a 0-d target), target i64/i32 [N, d1, ...] with
// values in [0, C) or == ignore_index. weight [C] (optional, a constant) scales each class; mean
// divides by the summed weights of the non-ignored targets (PyTorch), so it is NaN when every
// target is ignored, as in PyTorch. Ignored positions give 0 with Reduction::none.
Tensor cross_entropy(const Tensor& logits,
                     const Tensor& target,
                     const Tensor& weight = {},
                     std::int64_t ignore_index = -100,
                     Reduction reduction = Reduction::mean);

// Stable BCE on logits: (1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x), times weight.
// weight and pos_weight (optional constants) broadcast to x (pos_weight typically [C] for the
// last dim). Differentiable with respect to x and target.
Tensor binary_cross_entropy_with_logits(const Tensor& x,
                                        const Tensor& target,
                                        const Tensor& weight = {},
                                        const Tensor& pos_weight = {},
                                        Reduction reduction = Reduction::mean);

// torchvision.ops.sigmoid_focal_loss: bce(x, t) * (1 - p_t)^gamma * alpha_t with p = sigmoid(x),
// p_t = p t + (1 - p)(1 - t), alpha_t = alpha t + (1 - alpha)(1 - t) (no alpha term when alpha <
// 0). torchvision's default reduction is none.
Tensor sigmoid_focal_loss(const Tensor& x,
                          const Tensor& target,
                          double alpha = 0.25,
                          double gamma = 2.0,
                          Reduction reduction = Reduction::none);

// Elementwise regression losses; x and y must have the same shape and dtype.
// smooth_l1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; beta = 0 is exactly L1.
Tensor smooth_l1_loss(const Tensor& x,
                      const Tensor& y,
                      double beta = 1.0,
                      Reduction reduction = Reduction::mean);
Tensor l1_loss(const Tensor& x, const Tensor& y, Reduction reduction = Reduction::mean);
Tensor mse_loss(const Tensor& x, const Tensor& y, Reduction reduction = Reduction::mean);

}  // namespace engine
