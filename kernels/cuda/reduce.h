// Row sums of a contiguous f32 matrix on the device: one block per row, a block reduction built
// from warp shuffles; the pattern behind sum/mean over the last dim, softmax and norms.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// out[r] = sum_c x[r * cols + c] for r < rows (device pointers, x is [rows, cols] row-major).
// Sums in f32 (a per-thread partial sum, then a tree): error grows like log(cols) * eps * sum|x|.
void sum_rows_f32(const float* x, float* out, std::int64_t rows, std::int64_t cols, cudaStream_t stream);

}  // namespace kernels::cuda
