// Stream compaction on the device: nonzero (count per tile, scan, write coordinates) and the index
// list of repeat_interleave (scan of the repeats, then a binary search per output element).
#pragma once

#include <cstdint>

#include "engine/dtype.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

constexpr int kMaxNonzeroRank = 8;

// The shape of a contiguous tensor whose non-zero elements are listed (rank 0 is one element).
struct NonzeroShape {
  int rank = 0;
  std::int64_t sizes[kMaxNonzeroRank] = {};
};

// Device pointers, asynchronous on `stream`; the output sizes come from a scan's total, which the
// caller copies to the host between the steps:
//   count_nonzero_tiles -> exclusive_scan_i64 (total = n) -> allocate [n, rank] -> write_nonzero.

// Elements per tile of count_nonzero_tiles / write_nonzero; a tensor of n elements has
// nonzero_tiles(n) tiles.
constexpr std::int64_t kCompactTile = 1024;
std::int64_t nonzero_tiles(std::int64_t n);

// tile_counts[t] = the number of elements of tile t of x (n elements, any dtype; NaN counts as
// non-zero) that are not zero.
void count_nonzero_tiles(engine::DType dtype,
                         const void* x,
                         std::int64_t n,
                         std::int64_t* tile_counts,
                         cudaStream_t stream);

// offsets[i] = counts[0] + ... + counts[i - 1] for i < m, *total = the sum of all m (0 for m = 0).
void exclusive_scan_i64(const std::int64_t* counts,
                        std::int64_t m,
                        std::int64_t* offsets,
                        std::int64_t* total,
                        cudaStream_t stream);

// out [count, rank] (i64, row-major) = the coordinates of the non-zero elements of x in row-major
// order, tile t's starting at row tile_offsets[t] (the scan of count_nonzero_tiles).
void write_nonzero(engine::DType dtype,
                   const void* x,
                   const NonzeroShape& shape,
                   const std::int64_t* tile_offsets,
                   std::int64_t* out,
                   cudaStream_t stream);

// out [total] = i repeated repeats[i] times, given offsets [m] = the exclusive scan of the
// (non-negative) repeats and their total.
void repeat_index(const std::int64_t* offsets,
                  std::int64_t m,
                  std::int64_t total,
                  std::int64_t* out,
                  cudaStream_t stream);

}  // namespace kernels::cuda
