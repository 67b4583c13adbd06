// Internal to the CUDA backend: a contiguous tensor seen as [outer, n, inner] around one dim (the
// indexing and join kernels), or with that dim moved last (the row kernels: softmax, arg reduce).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace engine::cuda_backend {

struct DimSplit {
  std::int64_t outer = 1, n = 1, inner = 1;
};

inline DimSplit split_at(const Shape& shape, std::int64_t dim) {
  DimSplit s;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
    if (d < dim) s.outer *= shape[d];
    if (d == dim) s.n = shape[d];
    if (d > dim) s.inner *= shape[d];
  }
  return s;
}

// The permutation that keeps the other dims in order and puts `dim` last.
inline std::vector<std::int64_t> dims_with_last(std::int64_t rank, std::int64_t dim) {
  std::vector<std::int64_t> order;
  for (std::int64_t d = 0; d < rank; ++d)
    if (d != dim) order.push_back(d);
  order.push_back(dim);
  return order;
}

// t (detached) with `dim` moved last, contiguous: t itself when dim is last and t contiguous.
inline Tensor with_dim_last(const Tensor& t, std::int64_t dim) {
  if (dim == t.dim() - 1 && t.is_contiguous()) return t;
  return t.detach().permute(dims_with_last(t.dim(), dim)).contiguous();
}

}  // namespace engine::cuda_backend
