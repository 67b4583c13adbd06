// Running a grid in the emulator: the launch configuration, the worker threads that take blocks
// in parallel, and run_grid, which returns when every block is done (a synchronous launch).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "kernels/simt/types.h"

namespace kernels::simt {

struct LaunchConfig {
  dim3 grid;
  dim3 block;
  std::size_t dynamic_shared_bytes = 0;
  const void* kernel = nullptr;  // identifies the kernel (per-kernel shared memory limit)
  std::string site;              // "file:line" of the launch, for messages
};

// Runs body once per CUDA thread of the grid, each thread a fiber; blocks are spread over the
// workers. Throws simt::Error for a bad configuration, a deadlock or an exception in a thread.
void run_grid(const LaunchConfig& config, const std::function<void()>& body);

// Worker threads (the launching thread is one of them): DREAMBOX_SIMT_WORKERS if set, else the
// hardware threads clamped to [2, 8]. set_worker_count must not race with a launch.
unsigned worker_count();
void set_worker_count(unsigned workers);

// Usable bytes of each fiber stack: DREAMBOX_SIMT_STACK_KB (default 64 KiB).
std::size_t fiber_stack_bytes();

}  // namespace kernels::simt
