// Reductions of the rows of a contiguous f32 matrix on the device (sum, mean, max, min,
// logsumexp, var): the kernel behind the engine's reductions over any dims.
#pragma once

#include <cstdint>

#include "engine/op_kinds.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// out[r] = op(x[r, 0..cols)) for r < rows (device pointers, x row-major). Same semantics as the
// CPU reduction: an empty row gives 0, max/min propagate NaN, logsumexp of a row whose maximum is
// infinite is that maximum, var divides by cols - correction (NaN when that is <= 0). Sums in f32
// with a tree over threads (error ~ log(cols) * eps * sum|x|). A warp per row when rows are short,
// a block per row otherwise. Asynchronous on `stream`.
void reduce_rows_f32(engine::ReduceOp op, const float* x, float* out, std::int64_t rows, std::int64_t cols,
                     std::int64_t correction, cudaStream_t stream);

}  // namespace kernels::cuda
