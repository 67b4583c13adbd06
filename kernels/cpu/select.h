// CPU sorting and selection kernels: stable sort / top-k along a dim, nonzero, slice put/take
// by element offsets (index_put and its backward) and the index list of repeat_interleave.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace kernels::cpu {

// Along `dim` of contiguous x (f32 f64 i32 i64), writes the first values_out.size(dim) elements of
// the ordering into values_out (x's dtype) and indices_out (i64), both contiguous. Order: ascending
// or descending; NaN counts as larger than any number (as PyTorch); ties keep index order (stable).
// With values_out.size(dim) < x.size(dim) this is top-k (a partial sort).
void sort(const engine::Tensor& x,
          std::int64_t dim,
          bool descending,
          const engine::Tensor& values_out,
          const engine::Tensor& indices_out);

// i64 [n, rank] coordinates (row-major order) of the non-zero elements of contiguous x (any dtype).
engine::Tensor nonzero(const engine::Tensor& x);

// For each m: out[offsets[m] + s] = values[m, s] (or += when accumulate), s in [0, S).
// out contiguous, offsets i64 [M] (validated), values contiguous [M, S]. With repeated offsets
// and accumulate false, the last write wins.
void put_slices(const engine::Tensor& out,
                const engine::Tensor& offsets,
                const engine::Tensor& values,
                bool accumulate);
// out[m, s] = src[offsets[m] + s]; src contiguous, out contiguous [M, S].
void take_slices(const engine::Tensor& src,
                 const engine::Tensor& offsets,
                 const engine::Tensor& out);

// repeats i64 [n] (non-negative, validated) -> i64 [sum(repeats)]: i repeated repeats[i] times.
engine::Tensor repeat_index(const engine::Tensor& repeats);

}  // namespace kernels::cpu
