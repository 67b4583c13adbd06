// Sorting kernels. A key is (value, position in the row) ordered by `before`, a strict total
// order, so every stage is deterministic: tiles sort by bitonic networks in shared memory and
// sorted runs merge by counting, for each key, the keys of the other run that come before it.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/sort.h"

namespace kernels::cuda {
namespace {

constexpr unsigned kMaxSortThreads = kSortTile / 2;  // a thread per compare-exchange

std::size_t aligned16(std::size_t bytes) {
  return (bytes + 15) / 16 * 16;
}

template <typename T>
__device__ __forceinline__ bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  return false;
}

// a < b with NaN above every number (as the CPU oracle).
template <typename T>
__device__ __forceinline__ bool less_nan_last(T a, T b) {
  if (is_nan(a)) return false;
  if (is_nan(b)) return true;
  return a < b;
}

// Whether key (a, at position pa) comes before key (b, pb); equal values keep position order,
// and a padding key (position < 0) comes after every real key.
template <typename T>
__device__ __forceinline__ bool before(
    T a, std::int64_t pa, T b, std::int64_t pb, bool descending) {
  if (pa < 0) return false;
  if (pb < 0) return true;
  if (descending ? less_nan_last(b, a) : less_nan_last(a, b)) return true;
  if (descending ? less_nan_last(a, b) : less_nan_last(b, a)) return false;
  return pa < pb;
}

// Block (row r, tile t) sorts x[r, t * kSortTile ...] (up to kSortTile keys, padded to `width`, a
// power of two) and writes place p of the sorted tile to column t * kSortTile + p of row r of dst
// (row stride dst_stride) when that column is below `limit`.
template <typename T>
__global__ void __launch_bounds__(kMaxSortThreads) tile_sort_kernel(const T* x,
                                                                    std::int64_t n,
                                                                    std::int64_t tiles,
                                                                    unsigned width,
                                                                    bool descending,
                                                                    std::int64_t limit,
                                                                    T* dst_values,
                                                                    std::int64_t* dst_positions,
                                                                    std::int64_t dst_stride) {
  __shared__ T keys[kSortTile];
  __shared__ std::int64_t positions[kSortTile];
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) / tiles;
  const std::int64_t start = static_cast<std::int64_t>(blockIdx.x) % tiles * kSortTile;
  const std::int64_t count = min(kSortTile, n - start);
  for (unsigned i = threadIdx.x; i < width; i += blockDim.x) {
    const bool real = i < count;
    keys[i] = real ? x[row * n + start + i] : T(0);
    positions[i] = real ? start + i : -1;
  }
  __syncthreads();
  // Bitonic network: runs of `size` keys alternate direction until the last stage, pairs at
  // distance `stride` compare-exchange; pair q joins keys i and i + stride.
  for (unsigned size = 2; size <= width; size *= 2)
    for (unsigned stride = size / 2; stride > 0; stride /= 2) {
      for (unsigned q = threadIdx.x; q < width / 2; q += blockDim.x) {
        const unsigned i = q / stride * 2 * stride + q % stride, j = i + stride;
        const bool forward = (i & size) == 0;
        const bool out_of_order =
            forward ? before(keys[j], positions[j], keys[i], positions[i], descending)
                    : before(keys[i], positions[i], keys[j], positions[j], descending);
        if (out_of_order) {
          const T key = keys[i];
          keys[i] = keys[j];
          keys[j] = key;
          const std::int64_t position = positions[i];
          positions[i] = positions[j];
          positions[j] = position;
        }
      }
      __syncthreads();
    }
  for (unsigned p = threadIdx.x; p < count && start + p < limit; p += blockDim.x) {
    dst_values[row * dst_stride + start + p] = keys[p];
    dst_positions[row * dst_stride + start + p] = positions[p];
  }
}

// Merges the sorted runs of `run` keys of each row pairwise (runs 2q and 2q + 1): key j goes to
// its place in its own run plus the number of keys of the other run before it (binary search).
// Places at or beyond `limit` are dropped; dst rows have stride dst_stride.
template <typename T>
__global__ void merge_kernel(const T* src_values,
                             const std::int64_t* src_positions,
                             std::int64_t rows,
                             std::int64_t n,
                             std::int64_t run,
                             bool descending,
                             std::int64_t limit,
                             T* dst_values,
                             std::int64_t* dst_positions,
                             std::int64_t dst_stride) {
  const std::int64_t total = rows * n;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t row = e / n, j = e % n;
    const std::int64_t pair_start = j / (2 * run) * (2 * run);
    const bool in_first = j - pair_start < run;
    const std::int64_t own_start = in_first ? pair_start : pair_start + run;
    const std::int64_t other_start = in_first ? pair_start + run : pair_start;
    const std::int64_t other_end = max(other_start, min(n, other_start + run));
    const T* values = src_values + row * n;
    const std::int64_t* positions = src_positions + row * n;
    const T mine = values[j];
    const std::int64_t my_position = positions[j];
    std::int64_t lo = other_start, hi = other_end;  // first key of the other run not before mine
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (before(values[mid], positions[mid], mine, my_position, descending))
        lo = mid + 1;
      else
        hi = mid;
    }
    const std::int64_t place = pair_start + (j - own_start) + (lo - other_start);
    if (place < limit) {
      dst_values[row * dst_stride + place] = mine;
      dst_positions[row * dst_stride + place] = my_position;
    }
  }
}

std::int64_t element_bytes(engine::DType dtype) {
  switch (dtype) {
    case engine::DType::f32:
    case engine::DType::i32:
      return 4;
    case engine::DType::f64:
    case engine::DType::i64:
      return 8;
    default:
      unsupported_dtype("sort", dtype);
  }
}

template <typename T>
void sort_typed(const T* x,
                std::int64_t rows,
                std::int64_t n,
                bool descending,
                std::int64_t k,
                T* values,
                std::int64_t* indices,
                void* workspace,
                cudaStream_t stream) {
  if (rows == 0 || n == 0 || k == 0) return;
  if (k < 0 || k > n)
    throw std::invalid_argument("kernels::cuda::sort_rows: k = " + std::to_string(k) +
                                " outside [0, " + std::to_string(n) + "]");
  const std::int64_t tiles = (n + kSortTile - 1) / kSortTile;
  if (rows > INT_MAX / tiles)
    throw std::invalid_argument("kernels::cuda::sort_rows: " + std::to_string(rows) + " rows of " +
                                std::to_string(n) + " need more blocks than one grid holds");
  unsigned width = 1;
  while (width < std::min(n, kSortTile)) width *= 2;
  const unsigned threads = width / 2 < 32 ? 32 : width / 2;
  const dim3 grid(static_cast<unsigned>(rows * tiles));
  if (tiles == 1) {  // the tile is the row: straight to the outputs
    launch(tile_sort_kernel<T>, grid, dim3(threads), 0, stream, x, n, tiles, width, descending, k,
           values, indices, k);
    return;
  }
  // Workspace: two (values, positions) buffers of rows * n keys, used in turn.
  auto* base = static_cast<unsigned char*>(workspace);
  const auto keys = static_cast<std::size_t>(rows * n);
  T* run_values[2];
  std::int64_t* run_positions[2];
  for (int b = 0; b < 2; ++b) {
    run_values[b] = reinterpret_cast<T*>(base);
    base += aligned16(keys * sizeof(T));
    run_positions[b] = reinterpret_cast<std::int64_t*>(base);
    base += aligned16(keys * sizeof(std::int64_t));
  }
  launch(tile_sort_kernel<T>, grid, dim3(threads), 0, stream, x, n, tiles, width, descending, n,
         run_values[0], run_positions[0], n);
  int current = 0;
  for (std::int64_t run = kSortTile; run < n; run *= 2) {
    const bool last = 2 * run >= n;
    T* dst_values = last ? values : run_values[1 - current];
    std::int64_t* dst_positions = last ? indices : run_positions[1 - current];
    const T* src_values = run_values[current];
    const std::int64_t* src_positions = run_positions[current];
    launch_elements(rows * n, stream, merge_kernel<T>, src_values, src_positions, rows, n, run,
                    descending, last ? k : n, dst_values, dst_positions, last ? k : n);
    current = 1 - current;
  }
}

}  // namespace

std::size_t sort_workspace_bytes(engine::DType dtype, std::int64_t rows, std::int64_t n) {
  if (n <= kSortTile) return 0;
  const auto keys = static_cast<std::size_t>(rows * n);
  return 2 * (aligned16(keys * static_cast<std::size_t>(element_bytes(dtype))) +
              aligned16(keys * sizeof(std::int64_t)));
}

void sort_rows(engine::DType dtype,
               const void* x,
               std::int64_t rows,
               std::int64_t n,
               bool descending,
               std::int64_t k,
               void* values,
               std::int64_t* indices,
               void* workspace,
               cudaStream_t stream) {
  element_bytes(dtype);  // refuses other dtypes
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                  std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>)
      sort_typed(static_cast<const T*>(x), rows, n, descending, k, static_cast<T*>(values), indices,
                 workspace, stream);
  });
}

}  // namespace kernels::cuda
