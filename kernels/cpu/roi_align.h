// CPU RoIAlign (torchvision semantics): bilinear sampling of box-shaped bins on [N, C, H, W]
// feature maps, forward and backward. Callers have validated shapes, boxes and batch indices.
#pragma once

#include <cstdint>

#include "engine/tensor.h"
#include "kernels/cpu/geometry.h"

namespace kernels::cpu {

// out[k, c, ph, pw] = mean over the bin's sampling grid of bilinear(x[rois[k, 0], c], y, x)
// x [N, C, H, W] (H, W > 0), rois [K, 5] = (batch, x1, y1, x2, y2) same dtype, out [K, C, PH, PW];
// all contiguous.
void roi_align(const engine::Tensor& x,
               const engine::Tensor& rois,
               const RoiAlignParams& p,
               const engine::Tensor& out);

// grad_x (zero-filled by the caller, [N, C, H, W]) += the adjoint of roi_align applied to
// grad_out [K, C, PH, PW]; all contiguous.
void roi_align_backward(const engine::Tensor& grad_out,
                        const engine::Tensor& rois,
                        const RoiAlignParams& p,
                        const engine::Tensor& grad_x);

}  // namespace kernels::cpu
