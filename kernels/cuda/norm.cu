// Normalisation kernels: a block per row (or channel) sums with block_sum (warp shuffles, then
// one warp over the warp totals); elementwise parts run a thread per element.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/norm.h"

namespace kernels::cuda {
namespace {

constexpr unsigned kRowThreads = 256;

__device__ __forceinline__ std::int64_t element_offset(const RowLayout& l,
                                                       std::int64_t r,
                                                       std::int64_t i) {
  return (i / l.segment_length) * l.segment_stride + r * l.segment_length + i % l.segment_length;
}

__global__ void __launch_bounds__(kRowThreads) row_norm_forward_kernel(
    const float* x, RowLayout l, float eps, float* y, float* mean, float* rstd) {
  const std::int64_t r = blockIdx.x, m = l.segments * l.segment_length;
  float partial = 0.0f;
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) partial += x[element_offset(l, r, i)];
  const float mu = block_sum(partial) / static_cast<float>(m);
  partial = 0.0f;
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const float d = x[element_offset(l, r, i)] - mu;
    partial = fmaf(d, d, partial);
  }
  const float inv = 1.0f / sqrtf(block_sum(partial) / static_cast<float>(m) + eps);
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const std::int64_t e = element_offset(l, r, i);
    y[e] = (x[e] - mu) * inv;
  }
  if (threadIdx.x == 0) {
    mean[r] = mu;
    rstd[r] = inv;
  }
}

__global__ void __launch_bounds__(kRowThreads) row_norm_backward_kernel(
    const float* grad_y, const float* y, const float* rstd, RowLayout l, float* grad_x) {
  const std::int64_t r = blockIdx.x, m = l.segments * l.segment_length;
  float sum_g = 0.0f, sum_gy = 0.0f;
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const std::int64_t e = element_offset(l, r, i);
    sum_g += grad_y[e];
    sum_gy = fmaf(grad_y[e], y[e], sum_gy);
  }
  const float mean_g = block_sum(sum_g) / static_cast<float>(m);
  const float mean_gy = block_sum(sum_gy) / static_cast<float>(m);
  const float inv = rstd[r];
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const std::int64_t e = element_offset(l, r, i);
    grad_x[e] = inv * (grad_y[e] - mean_g - y[e] * mean_gy);
  }
}

__global__ void channel_affine_kernel(const float* x,
                                      const float* scale,
                                      const float* shift,
                                      std::int64_t outer,
                                      std::int64_t channels,
                                      std::int64_t inner,
                                      float* out) {
  const std::int64_t total = outer * channels * inner;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t c = (e / inner) % channels;
    const float v = scale != nullptr ? x[e] * scale[c] : x[e];
    out[e] = shift != nullptr ? v + shift[c] : v;
  }
}

__global__ void __launch_bounds__(kRowThreads) channel_affine_backward_kernel(const float* grad_out,
                                                                              const float* x,
                                                                              std::int64_t outer,
                                                                              std::int64_t channels,
                                                                              std::int64_t inner,
                                                                              float* grad_scale,
                                                                              float* grad_shift) {
  const std::int64_t c = blockIdx.x, m = outer * inner;
  float sum_g = 0.0f, sum_gx = 0.0f;
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const std::int64_t e = ((i / inner) * channels + c) * inner + i % inner;
    sum_g += grad_out[e];
    if (grad_scale != nullptr) sum_gx = fmaf(grad_out[e], x[e], sum_gx);
  }
  const float total_g = block_sum(sum_g), total_gx = block_sum(sum_gx);
  if (threadIdx.x == 0) {
    if (grad_shift != nullptr) grad_shift[c] = total_g;
    if (grad_scale != nullptr) grad_scale[c] = total_gx;
  }
}

__global__ void frozen_coefficients_kernel(const float* running_mean,
                                           const float* running_var,
                                           const float* weight,
                                           const float* bias,
                                           float eps,
                                           std::int64_t channels,
                                           float* scale,
                                           float* shift) {
  for (std::int64_t c = first_element(); c < channels; c += element_stride()) {
    float s = 1.0f / sqrtf(running_var[c] + eps);
    if (weight != nullptr) s *= weight[c];
    scale[c] = s;
    shift[c] = (bias != nullptr ? bias[c] : 0.0f) - running_mean[c] * s;
  }
}

__global__ void update_stats_kernel(const float* mean,
                                    const float* rstd,
                                    float eps,
                                    float momentum,
                                    float unbias,
                                    std::int64_t channels,
                                    float* running_mean,
                                    float* running_var) {
  for (std::int64_t c = first_element(); c < channels; c += element_stride()) {
    const float var = 1.0f / (rstd[c] * rstd[c]) - eps;
    running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean[c];
    running_var[c] = (1.0f - momentum) * running_var[c] + momentum * unbias * var;
  }
}

void check_rows(std::int64_t rows, const char* who) {
  if (rows > 2147483647)
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(rows) +
                                " rows exceed the grid's 2^31-1 blocks");
}

}  // namespace

void row_norm_forward_f32(const float* x,
                          const RowLayout& layout,
                          float eps,
                          float* y,
                          float* mean,
                          float* rstd,
                          cudaStream_t stream) {
  if (layout.rows <= 0) return;
  if (layout.segments * layout.segment_length <= 0)
    throw std::invalid_argument("kernels::cuda::row_norm_forward_f32: rows must not be empty");
  check_rows(layout.rows, "kernels::cuda::row_norm_forward_f32");
  launch(row_norm_forward_kernel, dim3(static_cast<unsigned>(layout.rows)), dim3(kRowThreads), 0,
         stream, x, layout, eps, y, mean, rstd);
}

void row_norm_backward_f32(const float* grad_y,
                           const float* y,
                           const float* rstd,
                           const RowLayout& layout,
                           float* grad_x,
                           cudaStream_t stream) {
  if (layout.rows <= 0 || layout.segments * layout.segment_length <= 0) return;
  check_rows(layout.rows, "kernels::cuda::row_norm_backward_f32");
  launch(row_norm_backward_kernel, dim3(static_cast<unsigned>(layout.rows)), dim3(kRowThreads), 0,
         stream, grad_y, y, rstd, layout, grad_x);
}

void channel_affine_f32(const float* x,
                        const float* scale,
                        const float* shift,
                        std::int64_t outer,
                        std::int64_t channels,
                        std::int64_t inner,
                        float* out,
                        cudaStream_t stream) {
  launch_elements(outer * channels * inner, stream, channel_affine_kernel, x, scale, shift, outer,
                  channels, inner, out);
}

void channel_affine_backward_f32(const float* grad_out,
                                 const float* x,
                                 std::int64_t outer,
                                 std::int64_t channels,
                                 std::int64_t inner,
                                 float* grad_scale,
                                 float* grad_shift,
                                 cudaStream_t stream) {
  if (channels <= 0 || (grad_scale == nullptr && grad_shift == nullptr)) return;
  check_rows(channels, "kernels::cuda::channel_affine_backward_f32");
  launch(channel_affine_backward_kernel, dim3(static_cast<unsigned>(channels)), dim3(kRowThreads),
         0, stream, grad_out, x, outer, channels, inner, grad_scale, grad_shift);
}

void frozen_batch_norm_coefficients_f32(const float* running_mean,
                                        const float* running_var,
                                        const float* weight,
                                        const float* bias,
                                        float eps,
                                        std::int64_t channels,
                                        float* scale,
                                        float* shift,
                                        cudaStream_t stream) {
  launch_elements(channels, stream, frozen_coefficients_kernel, running_mean, running_var, weight,
                  bias, eps, channels, scale, shift);
}

void batch_norm_update_stats_f32(const float* mean,
                                 const float* rstd,
                                 float eps,
                                 float momentum,
                                 std::int64_t count,
                                 std::int64_t channels,
                                 float* running_mean,
                                 float* running_var,
                                 cudaStream_t stream) {
  if (channels <= 0) return;
  if (count <= 1)
    throw std::invalid_argument(
        "kernels::cuda::batch_norm_update_stats_f32: needs more than one value per channel, got " +
        std::to_string(count));
  const float unbias =
      static_cast<float>(static_cast<double>(count) / static_cast<double>(count - 1));
  launch_elements(channels, stream, update_stats_kernel, mean, rstd, eps, momentum, unbias,
                  channels, running_mean, running_var);
}

}  // namespace kernels::cuda
