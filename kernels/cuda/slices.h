// Slice put / take by element offsets on the device (index_put, its backward, and the gradient
// of index_put's values): any dtype for plain copies, f32 f64 i32 i64 bool when accumulating.
#pragma once

#include <cstdint>

#include "engine/dtype.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// The semantics are the CPU oracle's (kernels/cpu/select.h). Offsets are i64 [m], validated by
// the caller, multiples of s (slices coincide or are disjoint). Device pointers, contiguous,
// asynchronous on `stream`; nothing runs when m or s is 0.

// out[offsets[j] + i] = values[j, i] (or += with accumulate; logical or for bool), j < m, i < s.
// Without accumulate the last j of a repeated offset wins: `winners` is i64 scratch with one slot
// per slice of out (out_numel / s). With accumulate, additions go through atomics, so f32 / f64
// sums on one element depend on their order in the last bits. Throws std::invalid_argument for
// accumulate on f16 / bf16 / u8.
void put_slices(engine::DType dtype,
                void* out,
                std::int64_t out_numel,
                const std::int64_t* offsets,
                std::int64_t m,
                std::int64_t s,
                const void* values,
                bool accumulate,
                std::int64_t* winners,
                cudaStream_t stream);

// out[j, i] = src[offsets[j] + i], j < m, i < s.
void take_slices(engine::DType dtype,
                 const void* src,
                 const std::int64_t* offsets,
                 std::int64_t m,
                 std::int64_t s,
                 void* out,
                 cudaStream_t stream);

}  // namespace kernels::cuda
