// Row sums: one block per row, each thread sums a strided slice of it, then block_sum
// (block_reduce.cuh) combines the slices with warp shuffles.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.h"

namespace kernels::cuda {
namespace {

__global__ void sum_rows_kernel(const float* x, float* out, std::int64_t cols) {
  const float* row = x + static_cast<std::int64_t>(blockIdx.x) * cols;
  float partial = 0.0f;
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) partial += row[c];
  const float total = block_sum(partial);
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

}  // namespace

void sum_rows_f32(
    const float* x, float* out, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
  if (rows <= 0) return;
  if (rows > 2147483647)
    throw std::invalid_argument("kernels::cuda::sum_rows_f32: " + std::to_string(rows) +
                                " rows exceed the grid's 2^31-1 blocks");
  // A warp per 32 columns up to 256 threads; never fewer than one warp.
  const auto threads =
      static_cast<unsigned>(std::clamp<std::int64_t>((cols + 31) / 32 * 32, 32, 256));
  launch(sum_rows_kernel, dim3(static_cast<unsigned>(rows)), dim3(threads), 0, stream, x, out,
         cols);
}

}  // namespace kernels::cuda
