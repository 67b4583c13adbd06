// Launching a kernel in the emulator: copies the arguments into the kernel's parameter types
// once (like CUDA's parameter buffer) and runs the grid; returns when every block is done.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "kernels/simt/grid.h"
#include "kernels/simt/runtime.h"

namespace kernels::simt {

// The stream is accepted for the same call as on a GPU; emulated launches are synchronous.
template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes,
                   cudaStream_t /*stream*/, std::string site, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  const std::tuple<std::decay_t<Params>...> params(std::forward<Args>(args)...);
  const LaunchConfig config{grid, block, shared_bytes, reinterpret_cast<const void*>(kernel), std::move(site)};
  run_grid(config, [&] { std::apply(kernel, params); });  // each thread gets its own copies
}

}  // namespace kernels::simt
