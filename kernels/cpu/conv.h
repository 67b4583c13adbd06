// CPU 2-D convolution (NCHW, groups, stride, padding, dilation): im2col + GEMM (1x1/stride-1/
// unpadded straight to GEMM, f32 3x3 stride-1 by Winograd); forward and the three backward products.
#pragma once

#include <cstdint>

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

// out = conv(x, weight) + bias (bias may be undefined); x, weight contiguous; out contiguous.
void conv2d_forward(const engine::Tensor& x,
                    const engine::Tensor& weight,
                    const engine::Tensor& bias,
                    const Conv2dGeometry& g,
                    const engine::Tensor& out);
// Gradients of the outputs that are defined (grad_x, grad_weight, grad_bias are contiguous and
// are overwritten). grad_out contiguous [N, O, out_h, out_w].
void conv2d_backward(const engine::Tensor& grad_out,
                     const engine::Tensor& x,
                     const engine::Tensor& weight,
                     const Conv2dGeometry& g,
                     const engine::Tensor& grad_x,
                     const engine::Tensor& grad_weight,
                     const engine::Tensor& grad_bias);

}  // namespace kernels::cpu
