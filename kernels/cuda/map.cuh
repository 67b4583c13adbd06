// Elementwise map kernels over StridedIndex geometry: out[i] = f(in0[i], ...) for 0 to 3 inputs,
// the grid-stride loops of grid_stride.cuh, offsets by index arithmetic (a plain index when
// everything is contiguous).
#pragma once

#include <cstdint>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/strided_index.h"

namespace kernels::cuda {

// Element offsets of every operand for linear index i (row-major over index.shape).
template <int K>
__device__ __forceinline__ void element_offsets(const StridedIndex<K>& index, std::int64_t i, std::int64_t (&off)[K]) {
  for (int k = 0; k < K; ++k) off[k] = index.contiguous ? i : 0;
  if (index.contiguous) return;
  for (int d = index.rank - 1; d >= 0; --d) {
    const std::int64_t size = index.shape[d], coordinate = i % size;
    i /= size;
    for (int k = 0; k < K; ++k) off[k] += coordinate * index.strides[k][d];
  }
}

template <typename F, typename Out>
__global__ void __launch_bounds__(kElementThreads) map0_kernel(F f, Out* out, StridedIndex<1> index, std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    std::int64_t off[1];
    element_offsets(index, i, off);
    out[off[0]] = f();
  }
}

template <typename F, typename Out, typename A>
__global__ void __launch_bounds__(kElementThreads)
    map1_kernel(F f, Out* out, const A* a, StridedIndex<2> index, std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    std::int64_t off[2];
    element_offsets(index, i, off);
    out[off[0]] = f(a[off[1]]);
  }
}

template <typename F, typename Out, typename A, typename B>
__global__ void __launch_bounds__(kElementThreads)
    map2_kernel(F f, Out* out, const A* a, const B* b, StridedIndex<3> index, std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    std::int64_t off[3];
    element_offsets(index, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]]);
  }
}

template <typename F, typename Out, typename A, typename B, typename C>
__global__ void __launch_bounds__(kElementThreads)
    map3_kernel(F f, Out* out, const A* a, const B* b, const C* c, StridedIndex<4> index, std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    std::int64_t off[4];
    element_offsets(index, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]], c[off[3]]);
  }
}

// Host side: one launch of the matching kernel (nothing for n == 0).
template <typename F, typename Out>
void map0(F f, Out* out, const StridedIndex<1>& index, std::int64_t n, cudaStream_t stream) {
  launch_elements(n, stream, map0_kernel<F, Out>, f, out, index, n);
}
template <typename F, typename Out, typename A>
void map1(F f, Out* out, const A* a, const StridedIndex<2>& index, std::int64_t n, cudaStream_t stream) {
  launch_elements(n, stream, map1_kernel<F, Out, A>, f, out, a, index, n);
}
template <typename F, typename Out, typename A, typename B>
void map2(F f, Out* out, const A* a, const B* b, const StridedIndex<3>& index, std::int64_t n, cudaStream_t stream) {
  launch_elements(n, stream, map2_kernel<F, Out, A, B>, f, out, a, b, index, n);
}
template <typename F, typename Out, typename A, typename B, typename C>
void map3(F f, Out* out, const A* a, const B* b, const C* c, const StridedIndex<4>& index, std::int64_t n,
          cudaStream_t stream) {
  launch_elements(n, stream, map3_kernel<F, Out, A, B, C>, f, out, a, b, c, index, n);
}

}  // namespace kernels::cuda
