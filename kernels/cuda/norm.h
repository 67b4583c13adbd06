// f32 normalisation on the device: row standardisation (the core of batch, group and layer norm,
// as kernels/cpu/norm.h) with warp-shuffle block reductions, the per-channel affine and its
// gradients (batch norm eval / frozen batch norm, and the affine of every norm), running stats.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Which elements form row r of a normalisation: `segments` runs of `segment_length` contiguous
// values, run k of row r starting at k * segment_stride + r * segment_length. Contiguous rows
// [R, M] (layer norm, group norm) are {R, 1, M, M}; the channels of x [N, C, S] (batch norm, no
// transpose) are {C, N, S, C * S}.
struct RowLayout {
  std::int64_t rows, segments, segment_length, segment_stride;
};

// y = (x - mean[r]) * rstd[r] over each row (biased variance, two passes: mean, then centred
// squares), rstd = 1 / sqrt(var + eps); mean, rstd: [rows]. y has x's layout. Rows must be
// non-empty. Deterministic (fixed reduction order).
void row_norm_forward_f32(const float* x,
                          const RowLayout& layout,
                          float eps,
                          float* y,
                          float* mean,
                          float* rstd,
                          cudaStream_t stream);
// grad_x = rstd * (grad_y - mean(grad_y) - y * mean(grad_y * y)) along each row (the gradient of
// the standardisation through mean and variance); all in the layout.
void row_norm_backward_f32(const float* grad_y,
                           const float* y,
                           const float* rstd,
                           const RowLayout& layout,
                           float* grad_x,
                           cudaStream_t stream);

// out[o, c, i] = x[o, c, i] * scale[c] + shift[c] for x [outer, channels, inner]; scale or shift
// may be null (1 or 0). Batch norm affine / eval / frozen batch norm: [N, C, H*W]; layer norm's
// elementwise affine: [rows, M, 1]. out may alias x.
void channel_affine_f32(const float* x,
                        const float* scale,
                        const float* shift,
                        std::int64_t outer,
                        std::int64_t channels,
                        std::int64_t inner,
                        float* out,
                        cudaStream_t stream);
// grad_scale[c] = sum over o, i of grad_out * x, grad_shift[c] = sum of grad_out (either may be
// null); x is the affine's input. One block per channel, deterministic. (grad_x is
// channel_affine_f32(grad_out, scale, null).)
void channel_affine_backward_f32(const float* grad_out,
                                 const float* x,
                                 std::int64_t outer,
                                 std::int64_t channels,
                                 std::int64_t inner,
                                 float* grad_scale,
                                 float* grad_shift,
                                 cudaStream_t stream);

// Frozen batch norm folded into a per-channel affine: scale = weight / sqrt(var + eps),
// shift = bias - mean * scale (weight/bias null = 1/0); feed them to channel_affine_f32 (or fold
// them into the previous convolution).
void frozen_batch_norm_coefficients_f32(const float* running_mean,
                                        const float* running_var,
                                        const float* weight,
                                        const float* bias,
                                        float eps,
                                        std::int64_t channels,
                                        float* scale,
                                        float* shift,
                                        cudaStream_t stream);

// Batch norm's running statistics after a training step on `count` values per channel:
// running_mean = (1 - momentum) running_mean + momentum mean, running_var likewise with the
// unbiased variance (1 / rstd^2 - eps) * count / (count - 1). count > 1.
void batch_norm_update_stats_f32(const float* mean,
                                 const float* rstd,
                                 float eps,
                                 float momentum,
                                 std::int64_t count,
                                 std::int64_t channels,
                                 float* running_mean,
                                 float* running_var,
                                 cudaStream_t stream);

}  // namespace kernels::cuda
