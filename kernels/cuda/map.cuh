// Elementwise map kernels over StridedIndex geometry: out[i] = f(in0[i], ...) for 0 to 3 inputs,
// grid-stride loops, offsets by index arithmetic (a plain index when everything is contiguous).
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/strided_index.h"

namespace kernels::cuda {

inline constexpr unsigned kMapThreads = 256;
inline constexpr std::int64_t kMapMaxBlocks = 4096;  // grid-stride beyond this

inline dim3 map_grid(std::int64_t n) {
  return dim3(static_cast<unsigned>(std::clamp<std::int64_t>((n + kMapThreads - 1) / kMapThreads, 1, kMapMaxBlocks)));
}

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

#define DREAMBOX_GRID_STRIDE_LOOP(i, n)                                                                  \
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)

template <typename F, typename Out>
__global__ void __launch_bounds__(kMapThreads) map0_kernel(F f, Out* out, StridedIndex<1> index, std::int64_t n) {
  DREAMBOX_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[1];
    element_offsets(index, i, off);
    out[off[0]] = f();
  }
}

template <typename F, typename Out, typename A>
__global__ void __launch_bounds__(kMapThreads)
    map1_kernel(F f, Out* out, const A* a, StridedIndex<2> index, std::int64_t n) {
  DREAMBOX_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[2];
    element_offsets(index, i, off);
    out[off[0]] = f(a[off[1]]);
  }
}

template <typename F, typename Out, typename A, typename B>
__global__ void __launch_bounds__(kMapThreads)
    map2_kernel(F f, Out* out, const A* a, const B* b, StridedIndex<3> index, std::int64_t n) {
  DREAMBOX_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[3];
    element_offsets(index, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]]);
  }
}

template <typename F, typename Out, typename A, typename B, typename C>
__global__ void __launch_bounds__(kMapThreads)
    map3_kernel(F f, Out* out, const A* a, const B* b, const C* c, StridedIndex<4> index, std::int64_t n) {
  DREAMBOX_GRID_STRIDE_LOOP(i, n) {
    std::int64_t off[4];
    element_offsets(index, i, off);
    out[off[0]] = f(a[off[1]], b[off[2]], c[off[3]]);
  }
}

#undef DREAMBOX_GRID_STRIDE_LOOP

// Host side: one launch of the matching kernel (nothing for n == 0).
template <typename F, typename Out>
void map0(F f, Out* out, const StridedIndex<1>& index, std::int64_t n, cudaStream_t stream) {
  if (n > 0) launch(map0_kernel<F, Out>, map_grid(n), dim3(kMapThreads), 0, stream, f, out, index, n);
}
template <typename F, typename Out, typename A>
void map1(F f, Out* out, const A* a, const StridedIndex<2>& index, std::int64_t n, cudaStream_t stream) {
  if (n > 0) launch(map1_kernel<F, Out, A>, map_grid(n), dim3(kMapThreads), 0, stream, f, out, a, index, n);
}
template <typename F, typename Out, typename A, typename B>
void map2(F f, Out* out, const A* a, const B* b, const StridedIndex<3>& index, std::int64_t n, cudaStream_t stream) {
  if (n > 0) launch(map2_kernel<F, Out, A, B>, map_grid(n), dim3(kMapThreads), 0, stream, f, out, a, b, index, n);
}
template <typename F, typename Out, typename A, typename B, typename C>
void map3(F f, Out* out, const A* a, const B* b, const C* c, const StridedIndex<4>& index, std::int64_t n,
          cudaStream_t stream) {
  if (n > 0)
    launch(map3_kernel<F, Out, A, B, C>, map_grid(n), dim3(kMapThreads), 0, stream, f, out, a, b, c, index, n);
}

}  // namespace kernels::cuda
