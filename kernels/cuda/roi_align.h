// f32 RoIAlign on the device with torchvision semantics (spatial_scale, sampling_ratio including
// the adaptive 0, aligned): forward, a thread per output bin, and backward with atomic adds.
#pragma once

#include <cstdint>

#include "kernels/cpu/geometry.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

using kernels::cpu::RoiAlignParams;

// x [N, C, H, W] (H, W > 0), rois [K, 5] = (batch index, x1, y1, x2, y2) with valid batch
// indices, out [K, C, PH, PW]; device pointers, contiguous, asynchronous on `stream`. Sample
// positions use the oracle's float operations (kernels/cpu/roi_align.h), unfused.
void roi_align_forward_f32(const float* x,
                           std::int64_t channels,
                           std::int64_t height,
                           std::int64_t width,
                           const float* rois,
                           std::int64_t boxes,
                           const RoiAlignParams& p,
                           float* out,
                           cudaStream_t stream);

// grad_x [N, C, H, W] (zero-filled by the caller) += the adjoint of roi_align applied to
// grad_out [K, C, PH, PW]. Boxes overlap, so this scatters with atomicAdd: the result depends on
// the order of the additions in the last bits (not bit-reproducible run to run on a GPU).
void roi_align_backward_f32(const float* grad_out,
                            const float* rois,
                            std::int64_t boxes,
                            const RoiAlignParams& p,
                            std::int64_t channels,
                            std::int64_t height,
                            std::int64_t width,
                            float* grad_x,
                            cudaStream_t stream);

}  // namespace kernels::cuda
