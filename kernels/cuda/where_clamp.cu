// where (every dtype, moved as raw bytes of the element size) and clamp (f32, f64, i32, i64)
// over any strides and broadcasts.
#include <cstdint>

#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/map.cuh"

namespace kernels::cuda {
namespace {

template <typename T>
struct Select {
  __device__ __forceinline__ T operator()(bool c, T u, T v) const { return c ? u : v; }
};

template <typename T>
struct Clamp {
  T lo, hi;
  __device__ __forceinline__ T operator()(T v) const { return v < lo ? lo : (v > hi ? hi : v); }
};

template <typename T>
void run_where(const bool* cond, const void* a, const void* b, void* out, const StridedIndex<4>& index,
               std::int64_t n, cudaStream_t stream) {
  map3(Select<T>{}, static_cast<T*>(out), cond, static_cast<const T*>(a), static_cast<const T*>(b), index, n,
       stream);
}

}  // namespace

void where(engine::DType dtype, const bool* cond, const void* a, const void* b, void* out,
           const StridedIndex<4>& index, std::int64_t n, cudaStream_t stream) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (sizeof(T) == 1) run_where<std::uint8_t>(cond, a, b, out, index, n, stream);
    else if constexpr (sizeof(T) == 2) run_where<std::uint16_t>(cond, a, b, out, index, n, stream);
    else if constexpr (sizeof(T) == 4) run_where<std::uint32_t>(cond, a, b, out, index, n, stream);
    else run_where<std::uint64_t>(cond, a, b, out, index, n, stream);
  });
}

void clamp(engine::DType dtype, const void* x, void* out, double lo, double hi, const StridedIndex<2>& index,
           std::int64_t n, cudaStream_t stream) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int32_t> ||
                  std::is_same_v<T, std::int64_t>) {
      map1(Clamp<T>{static_cast<T>(lo), static_cast<T>(hi)}, static_cast<T*>(out), static_cast<const T*>(x), index,
           n, stream);
    } else {
      unsupported_dtype("clamp", dtype);
    }
  });
}

}  // namespace kernels::cuda
