// CPU indexing kernels: index_select / index_add along a dim, gather / scatter_add with an
// index tensor, one_hot. Callers have validated index ranges; inputs here are contiguous.
#pragma once

#include "engine/tensor.h"

namespace kernels::cpu {

// out[.., m, ..] = x[.., index[m], ..]   (x: [outer, N, inner], index: [M], out: [outer, M, inner])
void index_select(const engine::Tensor& x,
                  std::int64_t dim,
                  const engine::Tensor& index,
                  const engine::Tensor& out);
// out[.., index[m], ..] += src[.., m, ..]   (accumulates repeated indices)
void index_add(const engine::Tensor& out,
               std::int64_t dim,
               const engine::Tensor& index,
               const engine::Tensor& src);
// out[i, j, k] = x[i, index[i, j, k], k] for dim 1 (any rank); out has index's shape.
void gather(const engine::Tensor& x,
            std::int64_t dim,
            const engine::Tensor& index,
            const engine::Tensor& out);
// out[i, index[i, j, k], k] += src[i, j, k] for dim 1 (any rank); iterates over index's shape.
void scatter_add(const engine::Tensor& out,
                 std::int64_t dim,
                 const engine::Tensor& index,
                 const engine::Tensor& src);
// out[..., c] = (index[...] == c), out is i64 [..., classes].
void one_hot(const engine::Tensor& index, std::int64_t classes, const engine::Tensor& out);

}  // namespace kernels::cpu
