// Sorting and selection front-ends with PyTorch's names and semantics: topk, sort / argsort,
// nonzero, masked_select, index_put and repeat_interleave (values differentiable where PyTorch's
// are).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/ops.h"
#include "engine/tensor.h"

namespace engine {

// The k largest (or smallest) elements along dim, always in sorted order (sorted = false is
// accepted and gives the same order); ties keep index order. NaN counts as the largest value.
// values differentiable, indices i64. Errors: k outside [0, size(dim)], non-numeric dtype.
// k = 0 gives empty values and indices (size 0 along dim). On cuda: f32 f64 i32 i64.
ValuesIndices topk(const Tensor& x,
                   std::int64_t k,
                   std::int64_t dim = -1,
                   bool largest = true,
                   bool sorted = true);

// Stable sort along dim (equal elements keep their order, in both directions; NaN sorts as the
// largest value). values differentiable, indices i64. An empty x gives empty values and indices.
ValuesIndices sort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, std::int64_t dim = -1, bool descending = false);

// i64 [n, rank] coordinates of the non-zero (true) elements in row-major order: [0, rank] when
// none is (an all-false mask), [1, 0] or [0, 0] for a 0-d x. On cuda it waits for the device
// (the count sizes the result).
Tensor nonzero(const Tensor& x);

// The elements of x where the bool mask is true, as a 1-D tensor; x and mask broadcast
// together. Differentiable with respect to x.
Tensor masked_select(const Tensor& x, const Tensor& mask);

// Out-of-place x.index_put_(indices, values, accumulate): indices address the leading dims of x
// (i64/i32 tensors broadcast together, negative values count from the end; a bool tensor stands
// for the coordinates of its true elements over as many dims as it has). values broadcast to
// [index shape..., remaining dims of x]. Without accumulate, a repeated index takes the last
// value, and only that value receives gradient. Differentiable with respect to x and values.
Tensor index_put(const Tensor& x,
                 const std::vector<Tensor>& indices,
                 const Tensor& values,
                 bool accumulate = false);

// Each slice of x along dim repeated repeats[i] times (repeats i64 [size(dim)] or [1], or an
// integer); no dim flattens x first. Differentiable with respect to x.
Tensor repeat_interleave(const Tensor& x,
                         const Tensor& repeats,
                         std::optional<std::int64_t> dim = std::nullopt);
Tensor repeat_interleave(const Tensor& x,
                         std::int64_t repeats,
                         std::optional<std::int64_t> dim = std::nullopt);
// torch.repeat_interleave(repeats): i64 [sum(repeats)] with i repeated repeats[i] times.
Tensor repeat_interleave(const Tensor& repeats);

}  // namespace engine
