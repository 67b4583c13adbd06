// Unary math on the device (f32; a few ops on integers and bool) and the derivatives of the
// differentiable ones, with the same formulas as kernels/cpu/elementwise.cpp.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/map.cuh"

namespace kernels::cuda {
namespace {

using engine::UnaryOp;

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

__device__ __forceinline__ float sigmoid(float v) {
  return 1.0f / (1.0f + expf(-v));
}

// One functor per op, indexed by the op code at compile time.
template <UnaryOp Op>
struct UnaryF32 {
  __device__ __forceinline__ float operator()(float v) const {
    if constexpr (Op == UnaryOp::neg) return -v;
    else if constexpr (Op == UnaryOp::exp) return expf(v);
    else if constexpr (Op == UnaryOp::log) return logf(v);
    else if constexpr (Op == UnaryOp::sqrt) return sqrtf(v);
    else if constexpr (Op == UnaryOp::rsqrt) return 1.0f / sqrtf(v);
    else if constexpr (Op == UnaryOp::abs) return fabsf(v);
    else if constexpr (Op == UnaryOp::sin) return sinf(v);
    else if constexpr (Op == UnaryOp::cos) return cosf(v);
    else if constexpr (Op == UnaryOp::square) return v * v;
    else if constexpr (Op == UnaryOp::reciprocal) return 1.0f / v;
    else if constexpr (Op == UnaryOp::sign) return static_cast<float>((v > 0.0f) - (v < 0.0f));
    else if constexpr (Op == UnaryOp::relu) return v > 0.0f ? v : 0.0f;
    else if constexpr (Op == UnaryOp::sigmoid) return sigmoid(v);
    else if constexpr (Op == UnaryOp::tanh) return tanhf(v);
    else if constexpr (Op == UnaryOp::silu) return v * sigmoid(v);
    else if constexpr (Op == UnaryOp::gelu) return 0.5f * v * (1.0f + erff(v * kInvSqrt2));
    else if constexpr (Op == UnaryOp::log1p) return log1pf(v);
    else if constexpr (Op == UnaryOp::expm1) return expm1f(v);
    else if constexpr (Op == UnaryOp::floor) return floorf(v);
    else if constexpr (Op == UnaryOp::ceil) return ceilf(v);
    else return v;  // not reached: the host refuses other ops
  }
};

template <UnaryOp Op, typename T>
struct UnaryInt {
  __device__ __forceinline__ T operator()(T v) const {
    if constexpr (Op == UnaryOp::neg) return static_cast<T>(-v);
    else if constexpr (Op == UnaryOp::abs) return v < 0 ? static_cast<T>(-v) : v;
    else if constexpr (Op == UnaryOp::square) return static_cast<T>(v * v);
    else if constexpr (Op == UnaryOp::sign) return static_cast<T>((v > 0) - (v < 0));
    else return v;  // not reached
  }
};

struct LogicalNot {
  __device__ __forceinline__ bool operator()(bool v) const { return !v; }
};

// d = incoming gradient, v = x, r = y = op(x).
template <UnaryOp Op>
struct UnaryBackwardF32 {
  __device__ __forceinline__ float operator()(float d, [[maybe_unused]] float v, [[maybe_unused]] float r) const {
    if constexpr (Op == UnaryOp::neg) return -d;
    else if constexpr (Op == UnaryOp::exp) return d * r;
    else if constexpr (Op == UnaryOp::log) return d / v;
    else if constexpr (Op == UnaryOp::sqrt) return d / (2.0f * r);
    else if constexpr (Op == UnaryOp::rsqrt) return -0.5f * d * r * r * r;
    else if constexpr (Op == UnaryOp::abs) return d * static_cast<float>((v > 0.0f) - (v < 0.0f));
    else if constexpr (Op == UnaryOp::sin) return d * cosf(v);
    else if constexpr (Op == UnaryOp::cos) return -d * sinf(v);
    else if constexpr (Op == UnaryOp::square) return 2.0f * v * d;
    else if constexpr (Op == UnaryOp::reciprocal) return -d * r * r;
    else if constexpr (Op == UnaryOp::relu) return v > 0.0f ? d : 0.0f;
    else if constexpr (Op == UnaryOp::sigmoid) return d * r * (1.0f - r);
    else if constexpr (Op == UnaryOp::tanh) return d * (1.0f - r * r);
    else if constexpr (Op == UnaryOp::silu) {
      const float s = sigmoid(v);
      return d * s * (1.0f + v * (1.0f - s));
    }
    else if constexpr (Op == UnaryOp::gelu) {
      const float cdf = 0.5f * (1.0f + erff(v * kInvSqrt2));
      return d * (cdf + v * kInvSqrt2Pi * expf(-0.5f * v * v));
    }
    else if constexpr (Op == UnaryOp::log1p) return d / (1.0f + v);
    else if constexpr (Op == UnaryOp::expm1) return d * (r + 1.0f);
    else return d;  // not reached
  }
};

// Calls f(std::integral_constant<UnaryOp, op>) for a runtime op among the float ones.
template <typename F>
void with_float_op(UnaryOp op, const char* name, F&& f) {
  switch (op) {
#define DREAMBOX_UNARY_CASE(name) \
  case UnaryOp::name:             \
    return f(std::integral_constant<UnaryOp, UnaryOp::name>{});
    DREAMBOX_UNARY_CASE(neg)
    DREAMBOX_UNARY_CASE(exp)
    DREAMBOX_UNARY_CASE(log)
    DREAMBOX_UNARY_CASE(sqrt)
    DREAMBOX_UNARY_CASE(rsqrt)
    DREAMBOX_UNARY_CASE(abs)
    DREAMBOX_UNARY_CASE(sin)
    DREAMBOX_UNARY_CASE(cos)
    DREAMBOX_UNARY_CASE(square)
    DREAMBOX_UNARY_CASE(reciprocal)
    DREAMBOX_UNARY_CASE(sign)
    DREAMBOX_UNARY_CASE(relu)
    DREAMBOX_UNARY_CASE(sigmoid)
    DREAMBOX_UNARY_CASE(tanh)
    DREAMBOX_UNARY_CASE(silu)
    DREAMBOX_UNARY_CASE(gelu)
    DREAMBOX_UNARY_CASE(log1p)
    DREAMBOX_UNARY_CASE(expm1)
    DREAMBOX_UNARY_CASE(floor)
    DREAMBOX_UNARY_CASE(ceil)
#undef DREAMBOX_UNARY_CASE
    default:
      unsupported_dtype(name, engine::DType::f32);
  }
}

bool has_derivative(UnaryOp op) {
  return op != UnaryOp::sign && op != UnaryOp::floor && op != UnaryOp::ceil && op != UnaryOp::logical_not;
}

template <typename T>
void unary_integer(UnaryOp op, const char* name, const T* x, T* out, const StridedIndex<2>& index, std::int64_t n,
                   cudaStream_t stream) {
  switch (op) {
    case UnaryOp::neg: return map1(UnaryInt<UnaryOp::neg, T>{}, out, x, index, n, stream);
    case UnaryOp::abs: return map1(UnaryInt<UnaryOp::abs, T>{}, out, x, index, n, stream);
    case UnaryOp::square: return map1(UnaryInt<UnaryOp::square, T>{}, out, x, index, n, stream);
    case UnaryOp::sign: return map1(UnaryInt<UnaryOp::sign, T>{}, out, x, index, n, stream);
    default: unsupported_dtype(name, engine::dtype_of<T>);
  }
}

}  // namespace

void unary(UnaryOp op, engine::DType dtype, const void* x, void* out, const StridedIndex<2>& index, std::int64_t n,
           cudaStream_t stream) {
  const char* name = engine::op_name(op);  // before any switch on op (keeps -Warray-bounds quiet)
  switch (dtype) {
    case engine::DType::f32:
      return with_float_op(op, name, [&](auto code) {
        map1(UnaryF32<decltype(code)::value>{}, static_cast<float*>(out), static_cast<const float*>(x), index, n,
             stream);
      });
    case engine::DType::i32:
      return unary_integer(op, name, static_cast<const std::int32_t*>(x), static_cast<std::int32_t*>(out), index, n,
                           stream);
    case engine::DType::i64:
      return unary_integer(op, name, static_cast<const std::int64_t*>(x), static_cast<std::int64_t*>(out), index, n,
                           stream);
    case engine::DType::b8:
      if (op == UnaryOp::logical_not)
        return map1(LogicalNot{}, static_cast<bool*>(out), static_cast<const bool*>(x), index, n, stream);
      break;
    default:
      break;
  }
  unsupported_dtype(name, dtype);
}

void unary_backward(UnaryOp op, engine::DType dtype, const void* grad, const void* x, const void* y, void* grad_x,
                    const StridedIndex<4>& index, std::int64_t n, cudaStream_t stream) {
  const char* name = engine::op_name(op);
  if (dtype != engine::DType::f32 || !has_derivative(op)) unsupported_dtype(name, dtype);
  with_float_op(op, name, [&](auto code) {
    map3(UnaryBackwardF32<decltype(code)::value>{}, static_cast<float*>(grad_x), static_cast<const float*>(grad),
         static_cast<const float*>(x), static_cast<const float*>(y), index, n, stream);
  });
}

}  // namespace kernels::cuda
