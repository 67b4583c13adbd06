// The input gradient of a strided f32 conv split by the phase of the input pixel: each phase is a
// stride-1 conv of grad_out with a sub-kernel, whose rows are products of that phase's packed
// weights with grad_out rows read in place (no col2im, no im2col).
#pragma once

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

// Whether conv2d_backward computes this conv's input gradient by phases: f32, a stride above 1,
// no dilation, one group, and the phase products large enough for our AVX-512 GEMM (at least 16
// input channels and 16 pixels per phase).
bool phase_input_grad_applies(const Conv2dGeometry& g);

// grad_x [N, C, H, W] = the gradient of sum(grad_out * conv(x, weight)) with respect to x,
// overwritten; grad_out [N, O, out_h, out_w], weight [O, C, kh, kw]; f32, contiguous. Input rows
// ih = stride * i + a (phase a) receive grad_out only through the taps ki = a + pad (mod stride),
// so phase (a, b) of grad_x is a stride-1 conv of grad_out with those taps (for a 3x3 stride-2
// conv: 2x2, 2x1, 1x2 and 1x1 sub-kernels, together the same multiply-adds as one 3x3 product).
// Requires phase_input_grad_applies(g).
void phase_input_grad(const engine::Tensor& grad_out,
                      const engine::Tensor& weight,
                      const Conv2dGeometry& g,
                      const engine::Tensor& grad_x);

}  // namespace kernels::cpu
