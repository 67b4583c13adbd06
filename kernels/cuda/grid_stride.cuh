// One-thread-per-element launches: launch_elements (the block count for `count` elements, capped;
// kernels loop with a grid stride beyond it) and the grid-stride loop bounds those kernels use.
#pragma once

#include <algorithm>
#include <cstdint>
#include <source_location>

#include "kernels/cuda/launch.cuh"
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

// launch_elements(count, stream, kernel, args...): kernel(args...) over element_blocks(count)
// blocks of kElementThreads; nothing for count <= 0. Errors name the caller's file:line.
template <typename Kernel, typename... Args>
struct launch_elements {
  launch_elements(std::int64_t count,
                  cudaStream_t stream,
                  Kernel kernel,
                  Args... args,
                  std::source_location site = std::source_location::current()) {
    if (count <= 0) return;
    launch<Kernel, Args&...>(kernel, element_blocks(count), dim3(kElementThreads), 0, stream,
                             args..., site);
  }
};

template <typename Kernel, typename... Args>
launch_elements(std::int64_t, cudaStream_t, Kernel, Args...) -> launch_elements<Kernel, Args...>;

}  // namespace kernels::cuda
