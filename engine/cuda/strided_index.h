// Builds the kernels' StridedIndex<K> for an output and its broadcast inputs, merging dims as
// the CPU loops do (kernels::cpu::StridedGeometry), so the two backends walk tensors alike.
#pragma once

#include <array>

#include "engine/tensor.h"
#include "kernels/cpu/loops.h"
#include "kernels/cuda/strided_index.h"

namespace engine::cuda_backend {

template <std::size_t K>
kernels::cuda::StridedIndex<K> strided_index(const Tensor& out,
                                             const std::array<Tensor, K - 1>& inputs,
                                             const char* op) {
  std::array<Shape, K> strides;
  strides[0] = out.strides();
  for (std::size_t i = 0; i + 1 < K; ++i)
    strides[i + 1] = broadcast_strides(inputs[i].shape(), inputs[i].strides(), out.shape());
  const kernels::cpu::StridedGeometry<K> geometry(out.shape(), strides);
  const std::size_t rank = geometry.shape.size();
  ENGINE_CHECK(rank <= static_cast<std::size_t>(kernels::cuda::kMaxDims), op, ": ", out.str(),
               " needs ", rank, " dims after merging (the CUDA kernels take at most ",
               kernels::cuda::kMaxDims, "); make the operands contiguous first");
  kernels::cuda::StridedIndex<K> index;
  index.rank = static_cast<int>(rank);
  index.contiguous = rank == 1;
  for (std::size_t d = 0; d < rank; ++d) {
    index.shape[d] = geometry.shape[d];
    for (std::size_t k = 0; k < K; ++k) {
      index.strides[k][d] = geometry.strides[k][d];
      if (geometry.strides[k][d] != 1) index.contiguous = false;
    }
  }
  return index;
}

}  // namespace engine::cuda_backend
