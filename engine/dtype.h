// Element types of tensors: the DType enum, its size and name, and the mapping between C++
// types and DType. bool is stored as one byte; f16/bf16 are storage types for the CUDA backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace engine {

enum class DType : std::uint8_t { f32, f64, f16, bf16, i32, i64, u8, b8 };

// 16-bit floating point storage types (no CPU arithmetic yet; used for IO and CUDA).
struct Half {
  std::uint16_t bits;
};
struct BFloat16 {
  std::uint16_t bits;
};

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
DType dtype_from_name(const std::string& name);  // "f32", "float32", "i64", ...; throws if unknown
bool is_floating(DType dtype);                   // f32, f64, f16, bf16
bool is_integral(DType dtype);                   // i32, i64, u8, b8

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::f32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::f64;
};
template <>
struct DTypeOf<Half> {
  static constexpr DType value = DType::f16;
};
template <>
struct DTypeOf<BFloat16> {
  static constexpr DType value = DType::bf16;
};
template <>
struct DTypeOf<std::int32_t> {
  static constexpr DType value = DType::i32;
};
template <>
struct DTypeOf<std::int64_t> {
  static constexpr DType value = DType::i64;
};
template <>
struct DTypeOf<std::uint8_t> {
  static constexpr DType value = DType::u8;
};
template <>
struct DTypeOf<bool> {
  static constexpr DType value = DType::b8;
};

template <typename T>
inline constexpr DType dtype_of = DTypeOf<T>::value;

}  // namespace engine
