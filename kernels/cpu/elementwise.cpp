// CPU elementwise kernels: each op is a small lambda handed to map_elements, which does the
// strided walk, broadcasting and threading. Derivatives sit next to their forward formulas.
#include "kernels/cpu/elementwise.h"

#include <cmath>
#include <numbers>
#include <type_traits>

#include "engine/dispatch.h"
#include "engine/half.h"
#include "kernels/cpu/map.h"
#include "kernels/cpu/silu_f32.h"

namespace kernels::cpu {

using engine::BinaryOp;
using engine::DType;
using engine::Tensor;
using engine::UnaryOp;

namespace {

template <typename T>
T sigmoid(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

template <typename T>
void unary_float(UnaryOp op, const Tensor& x, const Tensor& out) {
  auto run = [&](auto f) { map_elements<T, T>(out, {x}, f); };
  constexpr T kInvSqrt2 = T(1) / std::numbers::sqrt2_v<T>;
  switch (op) {
    case UnaryOp::neg:
      return run([](T v) { return -v; });
    case UnaryOp::exp:
      return run([](T v) { return std::exp(v); });
    case UnaryOp::log:
      return run([](T v) { return std::log(v); });
    case UnaryOp::sqrt:
      return run([](T v) { return std::sqrt(v); });
    case UnaryOp::rsqrt:
      return run([](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::abs:
      return run([](T v) { return std::abs(v); });
    case UnaryOp::sin:
      return run([](T v) { return std::sin(v); });
    case UnaryOp::cos:
      return run([](T v) { return std::cos(v); });
    case UnaryOp::square:
      return run([](T v) { return v * v; });
    case UnaryOp::reciprocal:
      return run([](T v) { return T(1) / v; });
    case UnaryOp::sign:
      return run([](T v) { return T((v > 0) - (v < 0)); });
    case UnaryOp::relu:
      return run([](T v) { return v > 0 ? v : T(0); });
    case UnaryOp::sigmoid:
      return run([](T v) { return sigmoid(v); });
    case UnaryOp::tanh:
      return run([](T v) { return std::tanh(v); });
    case UnaryOp::silu:
      if constexpr (std::is_same_v<T, float>)
        if (silu_f32_vectorized()) {  // the vector definition, as group_norm_silu's
          if (x.is_contiguous() && out.is_contiguous())
            return silu_f32(x.data_ptr<float>(), out.data_ptr<float>(), x.numel());
          return run([](float v) { return silu_f32_one(v); });
        }
      return run([](T v) { return v * sigmoid(v); });
    case UnaryOp::gelu:
      return run([=](T v) { return T(0.5) * v * (T(1) + std::erf(v * kInvSqrt2)); });
    case UnaryOp::log1p:
      return run([](T v) { return std::log1p(v); });
    case UnaryOp::expm1:
      return run([](T v) { return std::expm1(v); });
    case UnaryOp::floor:
      return run([](T v) { return std::floor(v); });
    case UnaryOp::ceil:
      return run([](T v) { return std::ceil(v); });
    default:
      ENGINE_FAIL(engine::op_name(op), ": not defined for dtype ", engine::dtype_name(x.dtype()));
  }
}

template <typename T>
void unary_integral(UnaryOp op, const Tensor& x, const Tensor& out) {
  auto run = [&](auto f) { map_elements<T, T>(out, {x}, f); };
  if constexpr (std::is_same_v<T, bool>) {
    if (op == UnaryOp::logical_not) return run([](bool v) { return !v; });
  } else {
    switch (op) {
      case UnaryOp::neg:
        return run([](T v) { return T(-v); });
      case UnaryOp::abs:
        return run([](T v) { return v < 0 ? T(-v) : v; });
      case UnaryOp::square:
        return run([](T v) { return T(v * v); });
      case UnaryOp::sign:
        return run([](T v) { return T((v > 0) - (v < 0)); });
      default:
        break;
    }
  }
  ENGINE_FAIL(engine::op_name(op), ": not defined for dtype ", engine::dtype_name(x.dtype()),
              " (convert with .to(DType::f32) first)");
}

template <typename T>
void unary_backward_float(
    UnaryOp op, const Tensor& g, const Tensor& x, const Tensor& y, const Tensor& gx) {
  auto run = [&](auto f) { map_elements<T, T, T, T>(gx, {g, x, y}, f); };
  constexpr T kInvSqrt2 = T(1) / std::numbers::sqrt2_v<T>;
  constexpr T kInvSqrt2Pi = std::numbers::inv_sqrtpi_v<T> * kInvSqrt2;
  switch (op) {
    case UnaryOp::neg:
      return run([](T d, T, T) { return -d; });
    case UnaryOp::exp:
      return run([](T d, T, T r) { return d * r; });
    case UnaryOp::log:
      return run([](T d, T v, T) { return d / v; });
    case UnaryOp::sqrt:
      return run([](T d, T, T r) { return d / (T(2) * r); });
    case UnaryOp::rsqrt:
      return run([](T d, T, T r) { return T(-0.5) * d * r * r * r; });
    case UnaryOp::abs:
      return run([](T d, T v, T) { return d * T((v > 0) - (v < 0)); });
    case UnaryOp::sin:
      return run([](T d, T v, T) { return d * std::cos(v); });
    case UnaryOp::cos:
      return run([](T d, T v, T) { return -d * std::sin(v); });
    case UnaryOp::square:
      return run([](T d, T v, T) { return T(2) * v * d; });
    case UnaryOp::reciprocal:
      return run([](T d, T, T r) { return -d * r * r; });
    case UnaryOp::relu:
      return run([](T d, T v, T) { return v > 0 ? d : T(0); });
    case UnaryOp::sigmoid:
      return run([](T d, T, T r) { return d * r * (T(1) - r); });
    case UnaryOp::tanh:
      return run([](T d, T, T r) { return d * (T(1) - r * r); });
    case UnaryOp::silu:
      return run([](T d, T v, T) {
        const T s = sigmoid(v);
        return d * s * (T(1) + v * (T(1) - s));
      });
    case UnaryOp::gelu:
      return run([=](T d, T v, T) {
        const T cdf = T(0.5) * (T(1) + std::erf(v * kInvSqrt2));
        return d * (cdf + v * kInvSqrt2Pi * std::exp(T(-0.5) * v * v));
      });
    case UnaryOp::log1p:
      return run([](T d, T v, T) { return d / (T(1) + v); });
    case UnaryOp::expm1:
      return run([](T d, T, T r) { return d * (r + T(1)); });
    default:
      ENGINE_FAIL(engine::op_name(op), ": has no derivative");
  }
}

template <typename T>
void arithmetic(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  auto run = [&](auto f) { map_elements<T, T, T>(out, {a, b}, f); };
  switch (op) {
    case BinaryOp::add:
      return run([](T u, T v) { return T(u + v); });
    case BinaryOp::sub:
      return run([](T u, T v) { return T(u - v); });
    case BinaryOp::mul:
      return run([](T u, T v) { return T(u * v); });
    case BinaryOp::div:
      if constexpr (std::is_floating_point_v<T>) {
        return run([](T u, T v) { return u / v; });
      } else {
        // Integer division floors like Python's //, and never traps: x / 0 gives 0.
        return run([](T u, T v) {
          if (v == 0) return T(0);
          const T q = u / v;
          return T((u % v != 0 && ((u < 0) != (v < 0))) ? q - 1 : q);
        });
      }
    case BinaryOp::maximum:
      return run([](T u, T v) { return (u != u || u > v) ? u : v; });
    case BinaryOp::minimum:
      return run([](T u, T v) { return (u != u || u < v) ? u : v; });
    case BinaryOp::pow:
      if constexpr (std::is_floating_point_v<T>)
        return run([](T u, T v) { return std::pow(u, v); });
      break;
    default:
      break;
  }
  ENGINE_FAIL(engine::op_name(op), ": not defined for dtype ", engine::dtype_name(a.dtype()));
}

template <typename T>
void comparison(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  auto run = [&](auto f) { map_elements<bool, T, T>(out, {a, b}, f); };
  switch (op) {
    case BinaryOp::eq:
      return run([](T u, T v) { return u == v; });
    case BinaryOp::ne:
      return run([](T u, T v) { return u != v; });
    case BinaryOp::lt:
      return run([](T u, T v) { return u < v; });
    case BinaryOp::le:
      return run([](T u, T v) { return u <= v; });
    case BinaryOp::gt:
      return run([](T u, T v) { return u > v; });
    case BinaryOp::ge:
      return run([](T u, T v) { return u >= v; });
    case BinaryOp::logical_and:
      return run([](T u, T v) { return bool(u) && bool(v); });
    case BinaryOp::logical_or:
      return run([](T u, T v) { return bool(u) || bool(v); });
    default:
      ENGINE_FAIL(engine::op_name(op), ": not a comparison");
  }
}

// Every dtype, including the 16-bit storage types (converted through float).
template <typename F>
void dispatch_any(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f16:
      return f(engine::Half{});
    case DType::bf16:
      return f(engine::BFloat16{});
    default:
      return engine::dispatch_all(dtype, "copy", std::forward<F>(f));
  }
}

template <typename Dst, typename Src>
Dst convert(Src v) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return v;
  } else if constexpr (std::is_same_v<Src, engine::Half>) {
    return convert<Dst>(engine::half_to_float(v));
  } else if constexpr (std::is_same_v<Src, engine::BFloat16>) {
    return convert<Dst>(engine::bf16_to_float(v));
  } else if constexpr (std::is_same_v<Dst, engine::Half>) {
    return engine::float_to_half(static_cast<float>(v));
  } else if constexpr (std::is_same_v<Dst, engine::BFloat16>) {
    return engine::float_to_bf16(static_cast<float>(v));
  } else if constexpr (std::is_same_v<Dst, bool>) {
    return v != Src(0);
  } else {
    return static_cast<Dst>(v);
  }
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  engine::dispatch_all(x.dtype(), engine::op_name(op), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>)
      unary_float<T>(op, x, out);
    else
      unary_integral<T>(op, x, out);
  });
}

void unary_backward(
    UnaryOp op, const Tensor& grad, const Tensor& x, const Tensor& y, const Tensor& grad_x) {
  engine::dispatch_float(x.dtype(), engine::op_name(op), [&](auto tag) {
    unary_backward_float<decltype(tag)>(op, grad, x, y, grad_x);
  });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  engine::dispatch_all(a.dtype(), engine::op_name(op), [&](auto tag) {
    using T = decltype(tag);
    if (engine::is_comparison(op))
      comparison<T>(op, a, b, out);
    else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::uint8_t>)
      ENGINE_FAIL(engine::op_name(op), ": not defined for dtype ", engine::dtype_name(a.dtype()));
    else
      arithmetic<T>(op, a, b, out);
  });
}

void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  engine::dispatch_all(a.dtype(), "where", [&](auto tag) {
    using T = decltype(tag);
    map_elements<T, bool, T, T>(out, {cond, a, b}, [](bool c, T u, T v) { return c ? u : v; });
  });
}

void clamp(const Tensor& x, double lo, double hi, const Tensor& out) {
  engine::dispatch_number(x.dtype(), "clamp", [&](auto tag) {
    using T = decltype(tag);
    const T tlo = static_cast<T>(lo), thi = static_cast<T>(hi);
    map_elements<T, T>(out, {x}, [=](T v) { return v < tlo ? tlo : (v > thi ? thi : v); });
  });
}

void copy(const Tensor& src, const Tensor& dst) {
  dispatch_any(dst.dtype(), [&](auto dst_tag) {
    dispatch_any(src.dtype(), [&](auto src_tag) {
      using D = decltype(dst_tag);
      using S = decltype(src_tag);
      map_elements<D, S>(dst, {src}, [](S v) { return convert<D>(v); });
    });
  });
}

void fill(const Tensor& dst, double value) {
  dispatch_any(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = convert<T>(value);
    map_elements<T>(dst, {}, [=]() { return v; });
  });
}

}  // namespace kernels::cpu
