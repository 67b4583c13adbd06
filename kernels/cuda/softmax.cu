// Softmax-family kernels: each warp owns one row (8 rows per 256-thread block); lanes stride
// along the row, and the row's max and sums meet through butterfly shuffles (every lane gets them).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/softmax.h"

namespace kernels::cuda {
namespace {

constexpr unsigned kWarpsPerBlock = 8;

// This thread's row and lane; rows beyond the last are idle (whole warps, so shuffles stay full).
struct RowLane {
  std::int64_t row;
  unsigned lane;
};
__device__ __forceinline__ RowLane row_lane() {
  return {static_cast<std::int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32,
          threadIdx.x % 32};
}

// max over the row, and sum of exp(x - max); -inf rows give max -inf and a sum of 0.
struct RowStats {
  float peak, total;
};
__device__ RowStats row_stats(const float* in, std::int64_t n, unsigned lane) {
  float peak = -INFINITY;
  for (std::int64_t i = lane; i < n; i += 32) peak = fmaxf(peak, in[i]);
  peak = warp_max_all(peak);
  float total = 0.0f;
  if (peak != -INFINITY)
    for (std::int64_t i = lane; i < n; i += 32) total += expf(in[i] - peak);
  return {peak, warp_sum_all(total)};
}

__global__ void softmax_forward_kernel(
    const float* x, std::int64_t rows, std::int64_t n, bool log, float* y) {
  const RowLane at = row_lane();
  if (at.row >= rows) return;  // a whole warp leaves together
  const float* in = x + at.row * n;
  float* out = y + at.row * n;
  const RowStats s = row_stats(in, n, at.lane);
  if (log) {
    const float shift = s.peak + logf(s.total);
    for (std::int64_t i = at.lane; i < n; i += 32) out[i] = in[i] - shift;
  } else {
    const float scale = 1.0f / s.total;
    for (std::int64_t i = at.lane; i < n; i += 32) out[i] = expf(in[i] - s.peak) * scale;
  }
}

__global__ void softmax_backward_kernel(const float* grad_y,
                                        const float* y,
                                        std::int64_t rows,
                                        std::int64_t n,
                                        bool log,
                                        float* grad_x) {
  const RowLane at = row_lane();
  if (at.row >= rows) return;
  const float* g = grad_y + at.row * n;
  const float* yv = y + at.row * n;
  float* out = grad_x + at.row * n;
  // In f64 as the CPU kernel: g - dot cancels when a row's gradients are alike (attention with
  // near-uniform weights), and an f32 dot would leave its rounding error in the difference.
  double dot = 0.0;
  for (std::int64_t i = at.lane; i < n; i += 32)
    dot += log ? static_cast<double>(g[i]) : static_cast<double>(g[i]) * yv[i];
  dot = warp_sum_all(dot);
  for (std::int64_t i = at.lane; i < n; i += 32)
    out[i] = log ? static_cast<float>(g[i] - exp(static_cast<double>(yv[i])) * dot)
                 : static_cast<float>(yv[i] * (g[i] - dot));
}

__global__ void logsumexp_kernel(const float* x, std::int64_t rows, std::int64_t n, float* out) {
  const RowLane at = row_lane();
  if (at.row >= rows) return;
  const RowStats s = row_stats(x + at.row * n, n, at.lane);
  if (at.lane == 0) out[at.row] = s.peak == -INFINITY ? -INFINITY : s.peak + logf(s.total);
}

dim3 row_blocks(std::int64_t rows, const char* who) {
  const std::int64_t blocks = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  if (blocks > 2147483647)
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(rows) +
                                " rows exceed the grid");
  return dim3(static_cast<unsigned>(blocks));
}

}  // namespace

void softmax_forward_f32(
    const float* x, std::int64_t rows, std::int64_t n, bool log, float* y, cudaStream_t stream) {
  if (rows <= 0 || n <= 0) return;
  launch(softmax_forward_kernel, row_blocks(rows, "kernels::cuda::softmax_forward_f32"),
         dim3(kWarpsPerBlock * 32), 0, stream, x, rows, n, log, y);
}

void softmax_backward_f32(const float* grad_y,
                          const float* y,
                          std::int64_t rows,
                          std::int64_t n,
                          bool log,
                          float* grad_x,
                          cudaStream_t stream) {
  if (rows <= 0 || n <= 0) return;
  launch(softmax_backward_kernel, row_blocks(rows, "kernels::cuda::softmax_backward_f32"),
         dim3(kWarpsPerBlock * 32), 0, stream, grad_y, y, rows, n, log, grad_x);
}

void logsumexp_f32(
    const float* x, std::int64_t rows, std::int64_t n, float* out, cudaStream_t stream) {
  if (rows <= 0) return;
  if (n <= 0) throw std::invalid_argument("kernels::cuda::logsumexp_f32: rows must not be empty");
  launch(logsumexp_kernel, row_blocks(rows, "kernels::cuda::logsumexp_f32"),
         dim3(kWarpsPerBlock * 32), 0, stream, x, rows, n, out);
}

}  // namespace kernels::cuda
