// f32 2-D convolution on the device (NCHW, groups, stride, padding, dilation) as implicit GEMM:
// forward and the three backward products, each a tiled shared-memory GEMM with no im2col buffer.
#pragma once

#include "kernels/cpu/geometry.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

using kernels::cpu::Conv2dGeometry;

// All pointers are device pointers to contiguous f32 arrays; the geometry is the CPU oracle's
// (kernels/cpu/conv.h), already validated by the caller. Everything is asynchronous on `stream`
// and deterministic except a split backward-weight reduction (below). With an empty batch there is
// nothing to write to out and grad_x; grad_weight and grad_bias become zeros.

// out [N, O, out_h, out_w] = conv(x [N, C, H, W], weight [O, C / groups, kh, kw]) + bias [O];
// bias may be null.
void conv2d_forward_f32(const float* x,
                        const float* weight,
                        const float* bias,
                        const Conv2dGeometry& g,
                        float* out,
                        cudaStream_t stream);

// grad_x [N, C, H, W] = the adjoint of the convolution applied to grad_out [N, O, out_h, out_w]
// (every element written: pixels no output reads get 0).
void conv2d_backward_data_f32(const float* grad_out,
                              const float* weight,
                              const Conv2dGeometry& g,
                              float* grad_x,
                              cudaStream_t stream);

// grad_weight [O, C / groups, kh, kw] = sum over images and output pixels of grad_out times the
// receptive field of x (overwritten, not accumulated). Long reductions are split across blocks
// that atomicAdd their partial sums: then the last bits depend on the order of the additions.
void conv2d_backward_weight_f32(const float* grad_out,
                                const float* x,
                                const Conv2dGeometry& g,
                                float* grad_weight,
                                cudaStream_t stream);

// grad_bias [O] = sum of grad_out [N, O, out_h, out_w] over N, out_h, out_w (overwritten; an
// empty batch gives zeros).
void conv2d_backward_bias_f32(const float* grad_out,
                              const Conv2dGeometry& g,
                              float* grad_bias,
                              cudaStream_t stream);

}  // namespace kernels::cuda
