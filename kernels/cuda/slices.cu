// Slice kernels: a thread per (slice, position) element. Plain puts find their slice's winner
// (the largest j with that offset, claimed by atomicMax) so repeated offsets write once; adding
// puts use atomics of the element type.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/slices.h"

namespace kernels::cuda {
namespace {

__global__ void fill_winners_kernel(std::int64_t* winners, std::int64_t slots) {
  for (std::int64_t e = first_element(); e < slots; e += element_stride()) winners[e] = -1;
}

__global__ void claim_kernel(const std::int64_t* offsets,
                             std::int64_t m,
                             std::int64_t s,
                             std::int64_t* winners) {
  for (std::int64_t j = first_element(); j < m; j += element_stride())
    atomicMax(reinterpret_cast<long long*>(winners + offsets[j] / s), static_cast<long long>(j));
}

template <typename T>
__global__ void put_kernel(T* out,
                           const std::int64_t* offsets,
                           std::int64_t m,
                           std::int64_t s,
                           const T* values,
                           const std::int64_t* winners) {
  for (std::int64_t e = first_element(); e < m * s; e += element_stride()) {
    const std::int64_t j = e / s, i = e % s;
    if (winners[offsets[j] / s] == j) out[offsets[j] + i] = values[e];
  }
}

template <typename T>
__device__ __forceinline__ void add_to(T* address, T value) {
  if constexpr (std::is_same_v<T, bool>) {
    if (value) *address = true;  // every writer stores the same value
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(address),
              static_cast<unsigned long long>(value));  // two's complement wraps as int64
  } else {
    atomicAdd(address, value);
  }
}

template <typename T>
__global__ void accumulate_kernel(
    T* out, const std::int64_t* offsets, std::int64_t m, std::int64_t s, const T* values) {
  for (std::int64_t e = first_element(); e < m * s; e += element_stride())
    add_to(out + offsets[e / s] + e % s, values[e]);
}

template <typename T>
__global__ void take_kernel(
    const T* src, const std::int64_t* offsets, std::int64_t m, std::int64_t s, T* out) {
  for (std::int64_t e = first_element(); e < m * s; e += element_stride())
    out[e] = src[offsets[e / s] + e % s];
}

template <typename T>
inline constexpr bool kAddable =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int32_t> ||
    std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;

}  // namespace

void put_slices(engine::DType dtype,
                void* out,
                std::int64_t out_numel,
                const std::int64_t* offsets,
                std::int64_t m,
                std::int64_t s,
                const void* values,
                bool accumulate,
                std::int64_t* winners,
                cudaStream_t stream) {
  if (m <= 0 || s <= 0) return;
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out);
    const T* v = static_cast<const T*>(values);
    if (accumulate) {
      if constexpr (kAddable<T>)
        launch_elements(m * s, stream, accumulate_kernel<T>, o, offsets, m, s, v);
      else
        throw std::invalid_argument(std::string("index_put: no CUDA kernel for accumulate with ") +
                                    device_dtype_name(dtype) + " (f32 f64 i32 i64 bool)");
      return;
    }
    const std::int64_t slots = out_numel / s;
    launch_elements(slots, stream, fill_winners_kernel, winners, slots);
    launch_elements(m, stream, claim_kernel, offsets, m, s, winners);
    const std::int64_t* claimed = winners;
    launch_elements(m * s, stream, put_kernel<T>, o, offsets, m, s, v, claimed);
  });
}

void take_slices(engine::DType dtype,
                 const void* src,
                 const std::int64_t* offsets,
                 std::int64_t m,
                 std::int64_t s,
                 void* out,
                 cudaStream_t stream) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_elements(m * s, stream, take_kernel<T>, static_cast<const T*>(src), offsets, m, s,
                    static_cast<T*>(out));
  });
}

}  // namespace kernels::cuda
