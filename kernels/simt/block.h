// The block scheduler's interface: run one block on the calling worker thread, and the calls
// through which device code (barriers, warp collectives, dynamic shared memory) reaches it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <source_location>

#include "kernels/simt/grid.h"

namespace kernels::simt::detail {

// Runs every thread of block `linear_block` (x fastest) to its end on this worker thread.
void run_block(const LaunchConfig& config, const std::function<void()>& body, std::uint64_t linear_block);
bool inside_kernel();  // true while this thread runs a block (device code is executing)

// ---- called from device code (the running fiber); each switches to the scheduler until released
enum class BarrierKind : std::uint8_t { sync, count, all, any };
int block_barrier(BarrierKind kind, int predicate, const std::source_location& site);

enum class WarpOp : std::uint8_t { sync, shfl_idx, shfl_up, shfl_down, shfl_xor, ballot };
struct WarpResult {
  std::uint64_t value;   // shuffled bits, or the ballot
  unsigned participants;  // lanes that took part (named in the mask and not exited)
};
WarpResult warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int lane_arg, int width);

struct DynamicShared {
  std::byte* base;
  std::size_t bytes;
};
DynamicShared dynamic_shared_memory();
[[noreturn]] void shared_out_of_bounds(std::size_t index, std::size_t count, std::size_t element_bytes);

}  // namespace kernels::simt::detail
