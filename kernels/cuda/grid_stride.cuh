// One-thread-per-element launches: the block count for `count` elements (capped; kernels loop
// with a grid stride beyond it) and the grid-stride loop bounds every such kernel uses.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

constexpr unsigned kElementThreads = 256;
constexpr std::int64_t kMaxElementBlocks = 4096;

inline dim3 element_blocks(std::int64_t count) {
  return dim3(static_cast<unsigned>(std::clamp<std::int64_t>(
      (count + kElementThreads - 1) / kElementThreads, 1, kMaxElementBlocks)));
}

// This thread's first element and the stride between its elements.
__device__ __forceinline__ std::int64_t first_element() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ std::int64_t element_stride() {
  return static_cast<std::int64_t>(blockDim.x) * gridDim.x;
}

}  // namespace kernels::cuda
