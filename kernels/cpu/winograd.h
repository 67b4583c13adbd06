// Winograd F(4x4, 3x3) convolution for f32 3x3 stride-1 convs on AVX-512 CPUs: the forward pass
// (and so the input gradient, a stride-1 conv itself) and the weight gradient (its adjoint).
#pragma once

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

// Whether an f32 conv of this geometry takes the Winograd path in conv2d_forward/conv2d_backward:
// 3x3 kernel, stride 1, dilation 1, one group, at least kWinogradMinChannels input and output
// channels, and our AVX-512 GEMM available (the 36 products run on it). Other convs use im2col.
inline constexpr std::int64_t kWinogradMinChannels = 16;
bool winograd_applies(const Conv2dGeometry& g);

// out [N, O, out_h, out_w] = conv(x [N, C, H, W], weight [O, C, 3, 3]) without bias; f32,
// contiguous. Requires winograd_applies(g).
void winograd_conv2d_forward(const engine::Tensor& x,
                             const engine::Tensor& weight,
                             const Conv2dGeometry& g,
                             const engine::Tensor& out);

// grad_weight [O, C, 3, 3] = the gradient of sum(grad_out * conv(x, weight)) with respect to the
// weight, overwritten; grad_out [N, O, out_h, out_w]. Requires winograd_applies(g).
void winograd_conv2d_weight_grad(const engine::Tensor& grad_out,
                                 const engine::Tensor& x,
                                 const Conv2dGeometry& g,
                                 const engine::Tensor& grad_weight);

}  // namespace kernels::cpu
