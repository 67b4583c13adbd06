// Stable sort / top-k of the rows of a contiguous [rows, n] tensor on the device (f32, f64, i32,
// i64): a bitonic sort of each tile in shared memory, then merge passes in global memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/dtype.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Rows up to this length sort in one block and need no workspace.
constexpr std::int64_t kSortTile = 1024;

// Device bytes of scratch memory sort_rows needs (0 when n <= kSortTile).
std::size_t sort_workspace_bytes(engine::DType dtype, std::int64_t rows, std::int64_t n);

// For each row of x [rows, n]: the first k elements of its ordering into values [rows, k] (x's
// dtype) and their positions in the row into indices [rows, k]. The order is the CPU oracle's
// (kernels::cpu::sort): ascending or descending, NaN above every number, equal elements in index
// order (stable), so top-k ties match too. 0 <= k <= n; nothing runs when rows, n or k is 0.
// Device pointers, contiguous; `workspace` holds sort_workspace_bytes (16-byte aligned).
// Asynchronous on `stream`. Throws std::invalid_argument for other dtypes.
void sort_rows(engine::DType dtype,
               const void* x,
               std::int64_t rows,
               std::int64_t n,
               bool descending,
               std::int64_t k,
               void* values,
               std::int64_t* indices,
               void* workspace,
               cudaStream_t stream);

}  // namespace kernels::cuda
