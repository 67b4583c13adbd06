// CPU elementwise kernels: unary math and its derivative, binary arithmetic and comparisons
// with broadcasting, where, clamp, dtype-converting copy and fill. Outputs are preallocated.
#pragma once

#include "engine/op_kinds.h"
#include "engine/tensor.h"

namespace kernels::cpu {

// out = op(x); out has x's shape and dtype.
void unary(engine::UnaryOp op, const engine::Tensor& x, const engine::Tensor& out);
// grad_x = grad * op'(x), using y = op(x) where that is cheaper. All four have one shape.
void unary_backward(engine::UnaryOp op,
                    const engine::Tensor& grad,
                    const engine::Tensor& x,
                    const engine::Tensor& y,
                    const engine::Tensor& grad_x);
// out = a op b; a and b have one dtype and broadcast to out's shape; out is bool for comparisons.
void binary(engine::BinaryOp op,
            const engine::Tensor& a,
            const engine::Tensor& b,
            const engine::Tensor& out);
// out = cond ? a : b (cond bool; all broadcast to out's shape).
void where(const engine::Tensor& cond,
           const engine::Tensor& a,
           const engine::Tensor& b,
           const engine::Tensor& out);
// out = min(max(x, lo), hi).
void clamp(const engine::Tensor& x, double lo, double hi, const engine::Tensor& out);
// dst = src converted to dst's dtype; src broadcast to dst's shape; any strides.
void copy(const engine::Tensor& src, const engine::Tensor& dst);
void fill(const engine::Tensor& dst, double value);

}  // namespace kernels::cpu
