// launch(kernel, grid, block, shared_bytes, stream, args...): the only way kernels are launched.
// Under nvcc it is <<<>>> plus a launch-error check naming file:line; under g++ the SIMT emulator.
#pragma once

#include <cstddef>
#include <source_location>
#include <string>
#include <utility>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// A class so that the call site can be a defaulted argument after the kernel's arguments (the
// deduction guide below makes `launch(...)` read like a function call). Native launches are
// asynchronous: errors inside the kernel surface at the next synchronizing call.
template <typename Kernel, typename... Args>
struct launch {
  launch(Kernel kernel, dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream, Args&&... args,
         std::source_location site = std::source_location::current()) {
    const std::string where = std::string(site.file_name()) + ":" + std::to_string(site.line());
#if defined(__CUDACC__)
    kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
    const cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess)
      throw CudaError(where + ": kernel launch (grid " + std::to_string(grid.x) + "x" + std::to_string(grid.y) +
                      "x" + std::to_string(grid.z) + ", block " + std::to_string(block.x) + "x" +
                      std::to_string(block.y) + "x" + std::to_string(block.z) + ", " +
                      std::to_string(shared_bytes) + " B dynamic shared) failed: " + cudaGetErrorName(error) +
                      " (" + cudaGetErrorString(error) + ")" + capture_hint(error));
#else
    ::kernels::simt::launch_kernel(kernel, grid, block, shared_bytes, stream, where, std::forward<Args>(args)...);
#endif
  }
};

template <typename Kernel, typename... Args>
launch(Kernel, dim3, dim3, std::size_t, cudaStream_t, Args&&...) -> launch<Kernel, Args...>;

}  // namespace kernels::cuda
