// Row reductions with warp shuffles: Group threads (a warp, or the whole 256-thread block) share
// a row, each folds a strided slice, then an xor-shuffle tree (plus shared memory across warps)
// gives every thread of the group the result; two-pass ops (logsumexp, var) reduce twice.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/row_reduce.h"

namespace kernels::cuda {
namespace {

using engine::ReduceOp;

constexpr unsigned kThreads = 256;
constexpr std::int64_t kMaxBlocks = 4096;

struct Sum {
  static constexpr float identity = 0.0f;
  __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};
// NaN-propagating extremes (the CPU keeps the first NaN it meets).
struct Max {
  static constexpr float identity = -INFINITY;
  __device__ __forceinline__ float operator()(float a, float b) const { return (b != b || (a == a && b > a)) ? b : a; }
};
struct Min {
  static constexpr float identity = INFINITY;
  __device__ __forceinline__ float operator()(float a, float b) const { return (b != b || (a == a && b < a)) ? b : a; }
};
// The logsumexp shift ignores NaN, as the CPU's std::max does.
struct MaxIgnoringNan {
  static constexpr float identity = -INFINITY;
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Group == 32: the warp's result. Group == kThreads: the block's result, in every thread.
template <unsigned Group, typename Combine>
__device__ __forceinline__ float group_reduce(float v, Combine combine) {
  v = warp_all_reduce(v, combine);
  if constexpr (Group == 32) {
    return v;
  } else {
    __shared__ float warp_results[kThreads / 32];
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) warp_results[warp] = v;
    __syncthreads();
    v = warp_all_reduce(lane < kThreads / 32 ? warp_results[lane] : Combine::identity, combine);
    __syncthreads();  // warp_results is reused by the next reduction
    return v;
  }
}

// Folds x[c] for c = first, first + Group, ... with combine(acc, f(x[c])).
template <unsigned Group, typename Combine, typename F>
__device__ __forceinline__ float fold_row(const float* row, std::int64_t cols, Combine combine, F f) {
  float acc = Combine::identity;
  for (std::int64_t c = threadIdx.x % Group; c < cols; c += Group) acc = combine(acc, f(row[c]));
  return group_reduce<Group>(acc, combine);
}

struct Identity {
  __device__ __forceinline__ float operator()(float v) const { return v; }
};
struct ExpShifted {
  float shift;
  __device__ __forceinline__ float operator()(float v) const { return expf(v - shift); }
};
struct SquaredDeviation {
  float mean;
  __device__ __forceinline__ float operator()(float v) const { return (v - mean) * (v - mean); }
};

template <unsigned Group>
__device__ float reduce_row(ReduceOp op, const float* row, std::int64_t cols, std::int64_t correction) {
  if (cols == 0) return 0.0f;
  const float count = static_cast<float>(cols);
  switch (op) {
    case ReduceOp::sum: return fold_row<Group>(row, cols, Sum{}, Identity{});
    case ReduceOp::mean: return fold_row<Group>(row, cols, Sum{}, Identity{}) / count;
    case ReduceOp::max: return fold_row<Group>(row, cols, Max{}, Identity{});
    case ReduceOp::min: return fold_row<Group>(row, cols, Min{}, Identity{});
    case ReduceOp::logsumexp: {
      const float peak = fold_row<Group>(row, cols, MaxIgnoringNan{}, Identity{});
      if (fabsf(peak) == INFINITY) return peak;  // all -inf, or +inf present
      return peak + logf(fold_row<Group>(row, cols, Sum{}, ExpShifted{peak}));
    }
    default: {  // var
      const float mean = fold_row<Group>(row, cols, Sum{}, Identity{}) / count;
      const float ssd = fold_row<Group>(row, cols, Sum{}, SquaredDeviation{mean});
      const std::int64_t dof = cols - correction;
      return dof > 0 ? ssd / static_cast<float>(dof) : NAN;
    }
  }
}

// kThreads / Group rows per block at a time; the row loop is uniform within each group, so the
// block-wide barriers (Group == kThreads) are reached by every thread.
template <unsigned Group>
__global__ void __launch_bounds__(kThreads) reduce_rows_kernel(ReduceOp op, const float* x, float* out,
                                                                 std::int64_t rows, std::int64_t cols,
                                                                 std::int64_t correction) {
  constexpr std::int64_t rows_per_block = kThreads / Group;
  for (std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * rows_per_block + threadIdx.x / Group; row < rows;
       row += static_cast<std::int64_t>(gridDim.x) * rows_per_block) {
    const float value = reduce_row<Group>(op, x + row * cols, cols, correction);
    if (threadIdx.x % Group == 0) out[row] = value;
  }
}

}  // namespace

void reduce_rows_f32(ReduceOp op, const float* x, float* out, std::int64_t rows, std::int64_t cols,
                     std::int64_t correction, cudaStream_t stream) {
  if (rows <= 0) return;
  if (cols < 0) throw std::invalid_argument("kernels::cuda::reduce_rows_f32: negative cols " + std::to_string(cols));
  const bool warp_per_row = cols < 1024;
  const std::int64_t rows_per_block = warp_per_row ? kThreads / 32 : 1;
  const auto blocks = static_cast<unsigned>(std::min((rows + rows_per_block - 1) / rows_per_block, kMaxBlocks));
  if (warp_per_row)
    launch(reduce_rows_kernel<32>, dim3(blocks), dim3(kThreads), 0, stream, op, x, out, rows, cols, correction);
  else
    launch(reduce_rows_kernel<kThreads>, dim3(blocks), dim3(kThreads), 0, stream, op, x, out, rows, cols,
           correction);
}

}  // namespace kernels::cuda
