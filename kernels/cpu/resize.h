// CPU 2-D resizing of contiguous NCHW tensors: nearest (PyTorch's legacy "nearest" index rule)
// and bilinear (align_corners false or true), each with its backward (accumulating adjoint).
#pragma once

#include <cstdint>

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

void upsample_nearest2d(const engine::Tensor& x,
                        const ResizeGeometry& g,
                        const engine::Tensor& out);
void upsample_nearest2d_backward(const engine::Tensor& grad_out,
                                 const ResizeGeometry& g,
                                 const engine::Tensor& grad_x);
void upsample_bilinear2d(const engine::Tensor& x,
                         const ResizeGeometry& g,
                         const engine::Tensor& out);
void upsample_bilinear2d_backward(const engine::Tensor& grad_out,
                                  const ResizeGeometry& g,
                                  const engine::Tensor& grad_x);

}  // namespace kernels::cpu
