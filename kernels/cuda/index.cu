// Indexing kernels: a thread per element of the selected / indexed side; the adding kernels
// scatter with atomicAdd (one add per source element).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/index.h"

namespace kernels::cuda {
namespace {

template <typename T>
__global__ void index_select_kernel(const T* x,
                                    std::int64_t outer,
                                    std::int64_t n,
                                    std::int64_t inner,
                                    const std::int64_t* index,
                                    std::int64_t m,
                                    T* out) {
  const std::int64_t total = outer * m * inner;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t i = e % inner, j = (e / inner) % m, o = e / (inner * m);
    out[e] = x[(o * n + index[j]) * inner + i];
  }
}

__global__ void index_add_kernel(float* out,
                                 std::int64_t outer,
                                 std::int64_t n,
                                 std::int64_t inner,
                                 const std::int64_t* index,
                                 std::int64_t m,
                                 const float* src) {
  const std::int64_t total = outer * m * inner;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t i = e % inner, j = (e / inner) % m, o = e / (inner * m);
    atomicAdd(out + (o * n + index[j]) * inner + i, src[e]);
  }
}

// The offset in the addressed tensor of index element e (contiguous, index's shape), with the
// `dim` coordinate replaced by the index value.
__device__ std::int64_t addressed_offset(const IndexShape& s,
                                         const std::int64_t* index,
                                         std::int64_t e) {
  std::int64_t rem = e, offset = 0, stride = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    const std::int64_t coordinate = rem % s.index_sizes[d];
    rem /= s.index_sizes[d];
    offset += (d == s.dim ? index[e] : coordinate) * stride;
    stride *= s.other_sizes[d];
  }
  return offset;
}

__global__ void gather_kernel(
    const float* x, IndexShape s, std::int64_t total, const std::int64_t* index, float* out) {
  for (std::int64_t e = first_element(); e < total; e += element_stride())
    out[e] = x[addressed_offset(s, index, e)];
}

__global__ void scatter_add_kernel(
    float* out, IndexShape s, std::int64_t total, const std::int64_t* index, const float* src) {
  for (std::int64_t e = first_element(); e < total; e += element_stride())
    atomicAdd(out + addressed_offset(s, index, e), src[e]);
}

std::int64_t index_elements(const IndexShape& s, const char* who) {
  if (s.rank < 1 || s.rank > kMaxIndexRank || s.dim < 0 || s.dim >= s.rank)
    throw std::invalid_argument(std::string(who) + ": rank " + std::to_string(s.rank) + " / dim " +
                                std::to_string(s.dim) + " out of range (rank 1.." +
                                std::to_string(kMaxIndexRank) + ")");
  std::int64_t total = 1;
  for (int d = 0; d < s.rank; ++d) total *= s.index_sizes[d];
  return total;
}

}  // namespace

void index_select_f32(const float* x,
                      std::int64_t outer,
                      std::int64_t n,
                      std::int64_t inner,
                      const std::int64_t* index,
                      std::int64_t m,
                      float* out,
                      cudaStream_t stream) {
  launch_elements(outer * m * inner, stream, index_select_kernel<float>, x, outer, n, inner, index,
                  m, out);
}

void index_select_i64(const std::int64_t* x,
                      std::int64_t outer,
                      std::int64_t n,
                      std::int64_t inner,
                      const std::int64_t* index,
                      std::int64_t m,
                      std::int64_t* out,
                      cudaStream_t stream) {
  launch_elements(outer * m * inner, stream, index_select_kernel<std::int64_t>, x, outer, n, inner,
                  index, m, out);
}

void index_add_f32(float* out,
                   std::int64_t outer,
                   std::int64_t n,
                   std::int64_t inner,
                   const std::int64_t* index,
                   std::int64_t m,
                   const float* src,
                   cudaStream_t stream) {
  launch_elements(outer * m * inner, stream, index_add_kernel, out, outer, n, inner, index, m, src);
}

void gather_f32(const float* x,
                const IndexShape& shape,
                const std::int64_t* index,
                float* out,
                cudaStream_t stream) {
  const std::int64_t total = index_elements(shape, "kernels::cuda::gather_f32");
  launch_elements(total, stream, gather_kernel, x, shape, total, index, out);
}

void scatter_add_f32(float* out,
                     const IndexShape& shape,
                     const std::int64_t* index,
                     const float* src,
                     cudaStream_t stream) {
  const std::int64_t total = index_elements(shape, "kernels::cuda::scatter_add_f32");
  launch_elements(total, stream, scatter_add_kernel, out, shape, total, index, src);
}

}  // namespace kernels::cuda
