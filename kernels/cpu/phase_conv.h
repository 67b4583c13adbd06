// The forward and weight gradient of a strided f32 conv read in place from bands of its input's
// phase planes (no im2col): per output row one AVX-512 product with rows of the band.
#pragma once

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

// Whether conv2d_forward and conv2d_backward's weight gradient run this f32 conv by phase bands:
// one group, no dilation, a stride above 1, our AVX-512 GEMM, and output rows at most 1/8 short of
// whole 64-column blocks (the product computes whole blocks).
bool phase_conv_applies(const Conv2dGeometry& g);

// out [N, O, out_h, out_w] = conv(x [N, C, H, W], weight [O, C, kh, kw]) without bias, overwritten;
// f32, contiguous. Output pixel (oh, ow), tap (ki, kj) reads input (s oh + ki - pad, s ow + kj -
// pad) = row oh + ki / s, column ow + kj / s of the phase plane (ki % s, kj % s) of the padded
// input, so every tap of an output row reads a contiguous run of one plane row. Requires
// phase_conv_applies(g).
void phase_conv2d_forward(const engine::Tensor& x,
                          const engine::Tensor& weight,
                          const Conv2dGeometry& g,
                          const engine::Tensor& out);

// grad_weight [O, C, kh, kw] = the gradient of sum(grad_out * conv(x, weight)) with respect to
// the weights, overwritten; grad_out [N, O, out_h, out_w], x [N, C, H, W]; f32, contiguous. Each
// output row adds (the plane rows of its taps) @ grad_out row^T. Requires phase_conv_applies(g).
void phase_conv2d_weight_grad(const engine::Tensor& grad_out,
                              const engine::Tensor& x,
                              const Conv2dGeometry& g,
                              const engine::Tensor& grad_weight);

}  // namespace kernels::cpu
