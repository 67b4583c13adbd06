// Device element types shared by both builds: f16/bf16 (CUDA's __half/__nv_bfloat16, emulated
// under g++) and to_float/from_float, so one templated kernel loads and stores every dtype.
#pragma once

#include "kernels/cuda/runtime.cuh"
#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

namespace kernels::cuda {

using f16 = __half;
using bf16 = __nv_bfloat16;
static_assert(sizeof(f16) == 2 && sizeof(bf16) == 2, "f16/bf16 must match the engine's 2-byte storage");

__host__ __device__ __forceinline__ float to_float(float x) { return x; }
__host__ __device__ __forceinline__ float to_float(f16 x) { return __half2float(x); }
__host__ __device__ __forceinline__ float to_float(bf16 x) { return __bfloat162float(x); }

template <typename T>
__host__ __device__ __forceinline__ T from_float(float x);
template <>
__host__ __device__ __forceinline__ float from_float<float>(float x) {
  return x;
}
template <>
__host__ __device__ __forceinline__ f16 from_float<f16>(float x) {
  return __float2half_rn(x);
}
template <>
__host__ __device__ __forceinline__ bf16 from_float<bf16>(float x) {
  return __float2bfloat16_rn(x);
}

}  // namespace kernels::cuda
