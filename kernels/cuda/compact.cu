// Compaction kernels. A tile of kCompactTile elements is a block of kCompactThreads threads, each
// owning kPerThread consecutive elements, so a block scan of the per-thread counts gives every
// non-zero element its row in row-major order.
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/compact.h"
#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/launch.cuh"

namespace kernels::cuda {
namespace {

constexpr unsigned kCompactThreads = 256;
constexpr int kPerThread = static_cast<int>(kCompactTile / kCompactThreads);

// The exclusive prefix sum of v over the block (blockDim.x == kCompactThreads; every thread
// calls it) and, in `total`, the block's sum. Hillis-Steele steps in shared memory.
__device__ std::int64_t block_exclusive_scan(std::int64_t v, std::int64_t& total) {
  __shared__ std::int64_t partial[kCompactThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (unsigned offset = 1; offset < kCompactThreads; offset *= 2) {
    const std::int64_t left = threadIdx.x >= offset ? partial[threadIdx.x - offset] : 0;
    __syncthreads();
    partial[threadIdx.x] += left;
    __syncthreads();
  }
  total = partial[kCompactThreads - 1];
  const std::int64_t inclusive = partial[threadIdx.x];
  __syncthreads();  // a following call may overwrite `partial`
  return inclusive - v;
}

template <typename T>
__device__ __forceinline__ bool is_nonzero(T v) {
  return convert<bool>(v);
}

// The first element of this thread in its tile, and how many of its elements are non-zero.
template <typename T>
__device__ std::int64_t count_mine(const T* x, std::int64_t n, std::int64_t first) {
  std::int64_t count = 0;
  for (int e = 0; e < kPerThread; ++e) count += first + e < n && is_nonzero(x[first + e]) ? 1 : 0;
  return count;
}

__device__ __forceinline__ std::int64_t first_of_thread() {
  return static_cast<std::int64_t>(blockIdx.x) * kCompactTile +
         static_cast<std::int64_t>(threadIdx.x) * kPerThread;
}

template <typename T>
__global__ void __launch_bounds__(kCompactThreads)
    count_tiles_kernel(const T* x, std::int64_t n, std::int64_t* tile_counts) {
  std::int64_t total = 0;
  block_exclusive_scan(count_mine(x, n, first_of_thread()), total);
  if (threadIdx.x == 0) tile_counts[blockIdx.x] = total;
}

template <typename T>
__global__ void __launch_bounds__(kCompactThreads)
    write_nonzero_kernel(const T* x,
                         std::int64_t n,
                         NonzeroShape shape,
                         const std::int64_t* tile_offsets,
                         std::int64_t* out) {
  const std::int64_t first = first_of_thread();
  std::int64_t total = 0;
  std::int64_t row =
      tile_offsets[blockIdx.x] + block_exclusive_scan(count_mine(x, n, first), total);
  for (int e = 0; e < kPerThread; ++e) {
    if (first + e >= n || !is_nonzero(x[first + e])) continue;
    std::int64_t rest = first + e;
    for (int d = shape.rank - 1; d >= 0; --d) {
      out[row * shape.rank + d] = rest % shape.sizes[d];
      rest /= shape.sizes[d];
    }
    ++row;
  }
}

// One block walks the counts a block-width chunk at a time, carrying the running sum.
__global__ void __launch_bounds__(kCompactThreads) exclusive_scan_kernel(const std::int64_t* counts,
                                                                         std::int64_t m,
                                                                         std::int64_t* offsets,
                                                                         std::int64_t* total) {
  std::int64_t carry = 0;
  for (std::int64_t base = 0; base < m; base += kCompactThreads) {
    const std::int64_t i = base + threadIdx.x;
    std::int64_t chunk = 0;
    const std::int64_t before = block_exclusive_scan(i < m ? counts[i] : 0, chunk);
    if (i < m) offsets[i] = carry + before;
    carry += chunk;
  }
  if (threadIdx.x == 0) *total = carry;
}

// out[e] = the last i with offsets[i] <= e (its repeats are then > 0).
__global__ void repeat_index_kernel(const std::int64_t* offsets,
                                    std::int64_t m,
                                    std::int64_t total,
                                    std::int64_t* out) {
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    std::int64_t lo = 0, hi = m;  // first i with offsets[i] > e
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (offsets[mid] <= e)
        lo = mid + 1;
      else
        hi = mid;
    }
    out[e] = lo - 1;
  }
}

std::int64_t shape_elements(const NonzeroShape& shape) {
  if (shape.rank < 0 || shape.rank > kMaxNonzeroRank)
    throw std::invalid_argument("kernels::cuda::write_nonzero: rank " + std::to_string(shape.rank) +
                                " outside [0, " + std::to_string(kMaxNonzeroRank) + "]");
  std::int64_t n = 1;
  for (int d = 0; d < shape.rank; ++d) n *= shape.sizes[d];
  return n;
}

}  // namespace

std::int64_t nonzero_tiles(std::int64_t n) {
  return (n + kCompactTile - 1) / kCompactTile;
}

void count_nonzero_tiles(engine::DType dtype,
                         const void* x,
                         std::int64_t n,
                         std::int64_t* tile_counts,
                         cudaStream_t stream) {
  const std::int64_t tiles = nonzero_tiles(n);
  if (tiles == 0) return;
  if (tiles > INT_MAX)
    throw std::invalid_argument("kernels::cuda::count_nonzero_tiles: " + std::to_string(n) +
                                " elements need more blocks than one grid holds");
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(count_tiles_kernel<T>, dim3(static_cast<unsigned>(tiles)), dim3(kCompactThreads), 0,
           stream, static_cast<const T*>(x), n, tile_counts);
  });
}

void exclusive_scan_i64(const std::int64_t* counts,
                        std::int64_t m,
                        std::int64_t* offsets,
                        std::int64_t* total,
                        cudaStream_t stream) {
  launch(exclusive_scan_kernel, dim3(1), dim3(kCompactThreads), 0, stream, counts, m, offsets,
         total);
}

void write_nonzero(engine::DType dtype,
                   const void* x,
                   const NonzeroShape& shape,
                   const std::int64_t* tile_offsets,
                   std::int64_t* out,
                   cudaStream_t stream) {
  const std::int64_t n = shape_elements(shape), tiles = nonzero_tiles(n);
  if (tiles == 0) return;
  if (tiles > INT_MAX)
    throw std::invalid_argument("kernels::cuda::write_nonzero: " + std::to_string(n) +
                                " elements need more blocks than one grid holds");
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(write_nonzero_kernel<T>, dim3(static_cast<unsigned>(tiles)), dim3(kCompactThreads), 0,
           stream, static_cast<const T*>(x), n, shape, tile_offsets, out);
  });
}

void repeat_index(const std::int64_t* offsets,
                  std::int64_t m,
                  std::int64_t total,
                  std::int64_t* out,
                  cudaStream_t stream) {
  launch_elements(total, stream, repeat_index_kernel, offsets, m, total, out);
}

}  // namespace kernels::cuda
