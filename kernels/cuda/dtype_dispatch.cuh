// Device element types by engine dtype: dispatch_dtype runs a generic lambda with TypeTag<T> for
// a runtime DType, and convert<Dst>(Src) casts between them exactly as the CPU copy kernel does.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "engine/dtype.h"
#include "kernels/cuda/device_types.cuh"

namespace kernels::cuda {

template <typename T>
struct TypeTag {
  using type = T;
};

inline const char* device_dtype_name(engine::DType dtype) {
  constexpr const char* kNames[] = {"f32", "f64", "f16", "bf16", "i32", "i64", "u8", "bool"};
  return kNames[static_cast<int>(dtype)];
}

[[noreturn]] inline void unsupported_dtype(const char* op, engine::DType dtype) {
  throw std::invalid_argument(std::string(op) + ": no CUDA kernel yet for dtype " + device_dtype_name(dtype));
}

template <typename F>
void dispatch_dtype(engine::DType dtype, F&& f) {
  switch (dtype) {
    case engine::DType::f32: return f(TypeTag<float>{});
    case engine::DType::f64: return f(TypeTag<double>{});
    case engine::DType::f16: return f(TypeTag<f16>{});
    case engine::DType::bf16: return f(TypeTag<bf16>{});
    case engine::DType::i32: return f(TypeTag<std::int32_t>{});
    case engine::DType::i64: return f(TypeTag<std::int64_t>{});
    case engine::DType::u8: return f(TypeTag<std::uint8_t>{});
    case engine::DType::b8: return f(TypeTag<bool>{});
  }
  throw std::invalid_argument("kernels::cuda: unknown dtype code " + std::to_string(static_cast<int>(dtype)));
}

template <typename T>
inline constexpr bool is_half_type = std::is_same_v<T, f16> || std::is_same_v<T, bf16>;

// 16-bit types go through float; to bool is "not zero"; otherwise a static_cast.
template <typename Dst, typename Src>
__host__ __device__ __forceinline__ Dst convert(Src v) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return v;
  } else if constexpr (is_half_type<Src>) {
    return convert<Dst>(to_float(v));
  } else if constexpr (is_half_type<Dst>) {
    return from_float<Dst>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<Dst, bool>) {
    return v != Src(0);
  } else {
    return static_cast<Dst>(v);
  }
}

}  // namespace kernels::cuda
