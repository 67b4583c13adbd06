// Value-and-index reductions (max / min with argmax / argmin) along the rows of a contiguous f32
// matrix on the device: the kernel behind engine::max(x, dim) / min(x, dim) / argmax / argmin.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// values[r], indices[r] = the largest (is_max) or smallest element of x[r, 0..n) and its column,
// for r < rows (n > 0). As the CPU oracle (kernels/cpu/reduce.h): the first index wins ties and
// NaN counts as the extreme (the first NaN wins). A warp per row. Device pointers, asynchronous.
void arg_reduce_rows_f32(bool is_max,
                         const float* x,
                         std::int64_t rows,
                         std::int64_t n,
                         float* values,
                         std::int64_t* indices,
                         cudaStream_t stream);

}  // namespace kernels::cuda
