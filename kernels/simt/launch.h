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

// Emulated launches are synchronous; on a capturing stream (graph.cpp) the launch, its
// configuration and its argument copies are recorded instead and run when the graph is launched.
template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t shared_bytes,
                   cudaStream_t stream, std::string site, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  const std::tuple<std::decay_t<Params>...> params(std::forward<Args>(args)...);
  const LaunchConfig config{grid, block, shared_bytes, reinterpret_cast<const void*>(kernel), std::move(site)};
  const auto run = [kernel](const LaunchConfig& c, const std::tuple<std::decay_t<Params>...>& p) {
    run_grid(c, [&] { std::apply(kernel, p); });  // each thread gets its own copies
  };
  if (detail::any_capture_active() &&
      detail::record_if_capturing(stream, [run, config, params] { run(config, params); },
                                  "kernel launch at " + config.site))
    return;
  run(config, params);
}

}  // namespace kernels::simt
