// CPU 2-D pooling on contiguous NCHW tensors: max (with argmax indices for backward), average
// (count_include_pad as PyTorch) and adaptive average, each with its backward.
#pragma once

#include <cstdint>

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

// out [planes, out_h, out_w]; indices (i64) = h * W + w of the chosen input element per plane.
void max_pool2d_forward(const engine::Tensor& x,
                        const Pool2dGeometry& g,
                        const engine::Tensor& out,
                        const engine::Tensor& indices);
void max_pool2d_backward(const engine::Tensor& grad_out,
                         const engine::Tensor& indices,
                         const Pool2dGeometry& g,
                         const engine::Tensor& grad_x);
void avg_pool2d_forward(const engine::Tensor& x,
                        const Pool2dGeometry& g,
                        bool count_include_pad,
                        const engine::Tensor& out);
void avg_pool2d_backward(const engine::Tensor& grad_out,
                         const Pool2dGeometry& g,
                         bool count_include_pad,
                         const engine::Tensor& grad_x);
// Output cell i covers input rows [floor(i H / out_h), ceil((i + 1) H / out_h)) (same for columns).
void adaptive_avg_pool2d_forward(const engine::Tensor& x,
                                 const Pool2dGeometry& g,
                                 const engine::Tensor& out);
void adaptive_avg_pool2d_backward(const engine::Tensor& grad_out,
                                  const Pool2dGeometry& g,
                                  const engine::Tensor& grad_x);

}  // namespace kernels::cpu
