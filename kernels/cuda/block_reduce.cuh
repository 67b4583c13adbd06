// Warp and block reductions with warp shuffles, shared by the reduction, normalisation and softmax
// kernels: warp_all_reduce (any combine, every lane gets it), warp_sum (lane 0 gets the total),
// warp_sum_all / warp_max_all, and block_sum (every thread gets the block's total).
#pragma once

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

constexpr unsigned kFullWarpMask = 0xffffffffu;

// Sum over the 32 lanes of a full warp; the total is valid in lane 0.
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(kFullWarpMask, v, offset);
  return v;
}

// combine() over the 32 lanes of a full warp, broadcast to every lane (butterfly exchange).
template <typename T, typename Combine>
__device__ __forceinline__ T warp_all_reduce(T v, Combine combine) {
  for (int offset = 16; offset > 0; offset /= 2)
    v = combine(v, __shfl_xor_sync(kFullWarpMask, v, offset));
  return v;
}

struct WarpSum {
  template <typename T>
  __device__ __forceinline__ T operator()(T a, T b) const {
    return a + b;
  }
};
struct WarpMax {  // fmaxf: NaN is ignored unless every value is NaN
  __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Sum over a full warp, broadcast to every lane.
__device__ __forceinline__ float warp_sum_all(float v) {
  return warp_all_reduce(v, WarpSum{});
}

// The same in f64 (sums that must not lose the digits a later subtraction cancels).
__device__ __forceinline__ double warp_sum_all(double v) {
  return warp_all_reduce(v, WarpSum{});
}

// Maximum over a full warp, broadcast to every lane.
__device__ __forceinline__ float warp_max_all(float v) {
  return warp_all_reduce(v, WarpMax{});
}

// The block's total, returned to every thread. blockDim.x is a multiple of 32 (at most 1024),
// blockDim.y == blockDim.z == 1, and every thread of the block calls it (it holds barriers).
// The summation order is fixed by the block size, so results are deterministic.
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float partials[33];  // one per warp, [32] carries the total back
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_sum(v);
  if (lane == 0) partials[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const float total = warp_sum(lane < warps ? partials[lane] : 0.0f);
    if (lane == 0) partials[32] = total;
  }
  __syncthreads();
  return partials[32];  // a later call writes [32] only after its own first barrier
}

}  // namespace kernels::cuda
