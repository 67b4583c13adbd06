// f32 indexing on the device with i64 indices (index_select also of i64 data): index_select /
// index_add along a dim of
// [outer, n, inner] data, and gather / scatter_add with an index tensor of any rank (up to 8).
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Semantics are the CPU oracle's (kernels/cpu/index.h); indices are in range (validated by the
// caller). Device pointers, contiguous, asynchronous on `stream`. The accumulating kernels add
// with atomicAdd, so where several elements land on one output the f32 result depends on the
// order of the additions in the last bits (not bit-reproducible run to run on a GPU).

// out [outer, m, inner] = x [outer, n, inner] at index [m] along the middle dim.
void index_select_f32(const float* x,
                      std::int64_t outer,
                      std::int64_t n,
                      std::int64_t inner,
                      const std::int64_t* index,
                      std::int64_t m,
                      float* out,
                      cudaStream_t stream);
// The same for i64 data (index tensors, labels, levels).
void index_select_i64(const std::int64_t* x,
                      std::int64_t outer,
                      std::int64_t n,
                      std::int64_t inner,
                      const std::int64_t* index,
                      std::int64_t m,
                      std::int64_t* out,
                      cudaStream_t stream);
// out [outer, n, inner] at index [m] along the middle dim += src [outer, m, inner].
void index_add_f32(float* out,
                   std::int64_t outer,
                   std::int64_t n,
                   std::int64_t inner,
                   const std::int64_t* index,
                   std::int64_t m,
                   const float* src,
                   cudaStream_t stream);

constexpr int kMaxIndexRank = 8;

// Shapes of an index tensor and of the tensor it addresses (x for gather, out for scatter_add):
// the same rank, every size of the addressed tensor but `dim` at least the index's.
struct IndexShape {
  int rank = 0, dim = 0;
  std::int64_t index_sizes[kMaxIndexRank] = {};
  std::int64_t other_sizes[kMaxIndexRank] = {};
};

// out (index's shape) = x[..., index[...], ...] along dim.
void gather_f32(const float* x,
                const IndexShape& shape,
                const std::int64_t* index,
                float* out,
                cudaStream_t stream);
// out[..., index[...], ...] += src[...] along dim (src has index's shape).
void scatter_add_f32(float* out,
                     const IndexShape& shape,
                     const std::int64_t* index,
                     const float* src,
                     cudaStream_t stream);

}  // namespace kernels::cuda
