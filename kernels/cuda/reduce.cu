// Block reduction with warp shuffles: each thread sums a strided slice of its row, warps reduce
// with __shfl_down_sync, warp totals meet in dynamic shared memory, warp 0 reduces those.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.h"

namespace kernels::cuda {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(kFullMask, v, offset);
  return v;  // lane 0 holds the warp's total
}

// The block's total, valid in thread 0. blockDim.x is a multiple of 32 and the launch gives
// blockDim.x / 32 floats of dynamic shared memory.
__device__ __forceinline__ float block_sum(float v) {
  DYNAMIC_SHARED(float, warp_totals);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_sum(v);
  if (lane == 0) warp_totals[warp] = v;
  __syncthreads();
  if (warp == 0) v = warp_sum(lane < warps ? warp_totals[lane] : 0.0f);
  return v;
}

__global__ void sum_rows_kernel(const float* x, float* out, std::int64_t cols) {
  const float* row = x + static_cast<std::int64_t>(blockIdx.x) * cols;
  float partial = 0.0f;
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) partial += row[c];
  const float total = block_sum(partial);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

}  // namespace

void sum_rows_f32(const float* x, float* out, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
  if (rows <= 0) return;
  if (rows > 2147483647)
    throw std::invalid_argument("kernels::cuda::sum_rows_f32: " + std::to_string(rows) +
                                " rows exceed the grid's 2^31-1 blocks");
  // A warp per 32 columns up to 256 threads; never fewer than one warp.
  const auto threads = static_cast<unsigned>(std::clamp<std::int64_t>((cols + 31) / 32 * 32, 32, 256));
  launch(sum_rows_kernel, dim3(static_cast<unsigned>(rows)), dim3(threads), threads / 32 * sizeof(float), stream, x,
         out, cols);
}

}  // namespace kernels::cuda
