// Join kernels: a thread per output element (pad) or per input element (cat slice).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/join.h"

namespace kernels::cuda {
namespace {

template <typename T>
__global__ void cat_slice_kernel(const T* in,
                                 std::int64_t outer,
                                 std::int64_t n,
                                 std::int64_t inner,
                                 T* out,
                                 std::int64_t out_n,
                                 std::int64_t offset) {
  const std::int64_t total = outer * n * inner;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t i = e % inner, j = (e / inner) % n, o = e / (inner * n);
    out[(o * out_n + offset + j) * inner + i] = in[e];
  }
}

__global__ void constant_pad_kernel(
    const float* in, PadShape s, std::int64_t total, float value, float* out) {
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    std::int64_t rem = e, source = 0, stride = 1;
    bool inside = true;
    for (int d = s.rank - 1; d >= 0; --d) {
      const std::int64_t c = rem % s.out_sizes[d] - s.before[d];
      rem /= s.out_sizes[d];
      inside = inside && c >= 0 && c < s.in_sizes[d];
      source += c * stride;
      stride *= s.in_sizes[d];
    }
    out[e] = inside ? in[source] : value;
  }
}

}  // namespace

void cat_slice_f32(const float* in,
                   std::int64_t outer,
                   std::int64_t n,
                   std::int64_t inner,
                   float* out,
                   std::int64_t out_n,
                   std::int64_t offset,
                   cudaStream_t stream) {
  launch_elements(outer * n * inner, stream, cat_slice_kernel<float>, in, outer, n, inner, out,
                  out_n, offset);
}

void cat_slice_i64(const std::int64_t* in,
                   std::int64_t outer,
                   std::int64_t n,
                   std::int64_t inner,
                   std::int64_t* out,
                   std::int64_t out_n,
                   std::int64_t offset,
                   cudaStream_t stream) {
  launch_elements(outer * n * inner, stream, cat_slice_kernel<std::int64_t>, in, outer, n, inner,
                  out, out_n, offset);
}

void constant_pad_f32(
    const float* in, const PadShape& shape, float value, float* out, cudaStream_t stream) {
  if (shape.rank < 1 || shape.rank > kMaxPadRank)
    throw std::invalid_argument("kernels::cuda::constant_pad_f32: rank " +
                                std::to_string(shape.rank) + " out of range 1.." +
                                std::to_string(kMaxPadRank));
  std::int64_t total = 1;
  for (int d = 0; d < shape.rank; ++d) total *= shape.out_sizes[d];
  launch_elements(total, stream, constant_pad_kernel, in, shape, total, value, out);
}

}  // namespace kernels::cuda
