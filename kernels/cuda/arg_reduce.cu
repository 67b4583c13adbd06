// Arg-reduction kernel: each warp owns one row; lanes keep a (value, index) candidate while
// striding along the row, then butterfly shuffles merge the candidates (every lane gets the
// winner).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/arg_reduce.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"

namespace kernels::cuda {
namespace {

constexpr unsigned kRowsPerBlock = 8;  // warps of a 256-thread block

struct Candidate {
  float value;
  std::int64_t index;  // -1: none yet (a lane past the row's end)
};

__device__ __forceinline__ bool is_nan(float v) {
  return v != v;
}

// Whether `a` beats `b`: NaN beats numbers, then the larger (smaller) value, then the lower index.
__device__ __forceinline__ bool beats(const Candidate& a, const Candidate& b, bool is_max) {
  if (a.index < 0) return false;
  if (b.index < 0) return true;
  const bool a_nan = is_nan(a.value), b_nan = is_nan(b.value);
  if (a_nan || b_nan) return a_nan && (!b_nan || a.index < b.index);
  if (a.value == b.value) return a.index < b.index;
  return is_max ? a.value > b.value : a.value < b.value;
}

__global__ void arg_reduce_kernel(bool is_max,
                                  const float* x,
                                  std::int64_t rows,
                                  std::int64_t n,
                                  float* values,
                                  std::int64_t* indices) {
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (row >= rows) return;  // a whole warp leaves together
  const float* in = x + row * n;
  Candidate best{0.0f, -1};
  for (std::int64_t i = lane; i < n; i += 32) {
    const Candidate c{in[i], i};
    if (beats(c, best, is_max)) best = c;
  }
  for (int offset = 16; offset > 0; offset /= 2) {
    const Candidate other{__shfl_xor_sync(kFullWarpMask, best.value, offset),
                          __shfl_xor_sync(kFullWarpMask, best.index, offset)};
    if (beats(other, best, is_max)) best = other;
  }
  if (lane == 0) {
    values[row] = best.value;
    indices[row] = best.index;
  }
}

}  // namespace

void arg_reduce_rows_f32(bool is_max,
                         const float* x,
                         std::int64_t rows,
                         std::int64_t n,
                         float* values,
                         std::int64_t* indices,
                         cudaStream_t stream) {
  if (rows <= 0) return;
  if (n <= 0)
    throw std::invalid_argument("kernels::cuda::arg_reduce_rows_f32: rows of length " +
                                std::to_string(n) + " have no extreme");
  const auto blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
  launch(arg_reduce_kernel, dim3(blocks), dim3(kRowsPerBlock * 32), 0, stream, is_max, x, rows, n,
         values, indices);
}

}  // namespace kernels::cuda
