// Runs a generic lambda with the C++ type that matches a runtime DType:
//   dispatch_float(t.dtype(), "exp", [&](auto tag) { using T = decltype(tag); ... });
#pragma once

#include <cstdint>

#include "engine/dtype.h"
#include "engine/error.h"

namespace engine {

template <typename F>
decltype(auto) dispatch_float(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    default:
      ENGINE_FAIL(op, ": dtype ", dtype_name(dtype), " is not supported (expected f32 or f64)");
  }
}

// f32, f64, i32, i64 (the arithmetic types).
template <typename F>
decltype(auto) dispatch_number(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    case DType::i32:
      return f(std::int32_t{});
    case DType::i64:
      return f(std::int64_t{});
    default:
      ENGINE_FAIL(op, ": dtype ", dtype_name(dtype),
                  " is not supported (expected f32, f64, i32 or i64)");
  }
}

// Every dtype with CPU arithmetic: the numbers plus u8 and bool.
template <typename F>
decltype(auto) dispatch_all(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::u8:
      return f(std::uint8_t{});
    case DType::b8:
      return f(bool{});
    default:
      return dispatch_number(dtype, op, std::forward<F>(f));
  }
}

// Index tensors: i32 or i64.
template <typename F>
decltype(auto) dispatch_index(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::i32:
      return f(std::int32_t{});
    case DType::i64:
      return f(std::int64_t{});
    default:
      ENGINE_FAIL(op, ": index tensor has dtype ", dtype_name(dtype), " (expected i64 or i32)");
  }
}

}  // namespace engine
