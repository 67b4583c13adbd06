// Elementwise binary f32 kernel: a grid-stride loop over float4 groups when the pointers allow
// 16-byte accesses, then a scalar loop over the remaining (< 4, or all unaligned) elements.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/binary.h"
#include "kernels/cuda/launch.cuh"

namespace kernels::cuda {
namespace {

// NaN propagates through maximum/minimum as in the CPU kernels (torch.maximum semantics).
struct Add {
  __device__ __forceinline__ float operator()(float u, float v) const { return u + v; }
};
struct Sub {
  __device__ __forceinline__ float operator()(float u, float v) const { return u - v; }
};
struct Mul {
  __device__ __forceinline__ float operator()(float u, float v) const { return u * v; }
};
struct Div {
  __device__ __forceinline__ float operator()(float u, float v) const { return u / v; }
};
struct Maximum {
  __device__ __forceinline__ float operator()(float u, float v) const { return (u != u || u > v) ? u : v; }
};
struct Minimum {
  __device__ __forceinline__ float operator()(float u, float v) const { return (u != u || u < v) ? u : v; }
};

constexpr unsigned kThreads = 256;
constexpr std::int64_t kMaxBlocks = 4096;  // grid-stride beyond this

template <typename Op>
__global__ void __launch_bounds__(kThreads)
    binary_f32_kernel(Op op, const float* a, const float* b, float* out, std::int64_t n, bool vectorized) {
  const std::int64_t stride = static_cast<std::int64_t>(blockDim.x) * gridDim.x;
  const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  std::int64_t scalar_begin = 0;
  if (vectorized) {
    const std::int64_t groups = n / 4;
    const float4* a4 = reinterpret_cast<const float4*>(a);
    const float4* b4 = reinterpret_cast<const float4*>(b);
    float4* out4 = reinterpret_cast<float4*>(out);
    for (std::int64_t g = first; g < groups; g += stride) {
      const float4 u = a4[g], v = b4[g];
      out4[g] = make_float4(op(u.x, v.x), op(u.y, v.y), op(u.z, v.z), op(u.w, v.w));
    }
    scalar_begin = groups * 4;
  }
  for (std::int64_t i = scalar_begin + first; i < n; i += stride) out[i] = op(a[i], b[i]);
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

}  // namespace

void binary_contiguous_f32(engine::BinaryOp op, const float* a, const float* b, float* out, std::int64_t n,
                           cudaStream_t stream) {
  if (n <= 0) return;
  const bool vectorized = aligned16(a) && aligned16(b) && aligned16(out);
  const std::int64_t work = vectorized ? n / 4 + n % 4 : n;  // threads needed for one pass
  const auto blocks = static_cast<unsigned>(std::min<std::int64_t>((work + kThreads - 1) / kThreads, kMaxBlocks));
  const auto run = [&](auto functor) {
    launch(binary_f32_kernel<decltype(functor)>, dim3(blocks), dim3(kThreads), 0, stream, functor, a, b, out, n,
           vectorized);
  };
  switch (op) {
    case engine::BinaryOp::add: return run(Add{});
    case engine::BinaryOp::sub: return run(Sub{});
    case engine::BinaryOp::mul: return run(Mul{});
    case engine::BinaryOp::div: return run(Div{});
    case engine::BinaryOp::maximum: return run(Maximum{});
    case engine::BinaryOp::minimum: return run(Minimum{});
    default:
      throw std::invalid_argument(std::string("kernels::cuda::binary_contiguous_f32: op ") + engine::op_name(op) +
                                  " is not an arithmetic op of this kernel (add sub mul div maximum minimum)");
  }
}

}  // namespace kernels::cuda
