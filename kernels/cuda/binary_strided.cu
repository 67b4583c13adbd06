// Binary ops over any strides and broadcasts: arithmetic (f32, i32, i64; pow on f32) and
// comparisons / logical ops (bool output) with the CPU kernels' semantics (NaN-propagating
// maximum/minimum, integer division flooring like Python's // and giving 0 for x / 0).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/map.cuh"

namespace kernels::cuda {
namespace {

using engine::BinaryOp;

template <BinaryOp Op, typename T>
struct Arithmetic {
  __device__ __forceinline__ T operator()(T u, T v) const {
    if constexpr (Op == BinaryOp::add) {
      return static_cast<T>(u + v);
    } else if constexpr (Op == BinaryOp::sub) {
      return static_cast<T>(u - v);
    } else if constexpr (Op == BinaryOp::mul) {
      return static_cast<T>(u * v);
    } else if constexpr (Op == BinaryOp::div) {
      if constexpr (std::is_floating_point_v<T>) {
        return u / v;
      } else {
        if (v == 0) return T(0);
        const T q = u / v;
        return (u % v != 0 && ((u < 0) != (v < 0))) ? static_cast<T>(q - 1) : q;
      }
    } else if constexpr (Op == BinaryOp::maximum) {
      return (u != u || u > v) ? u : v;
    } else if constexpr (Op == BinaryOp::minimum) {
      return (u != u || u < v) ? u : v;
    } else {
      return powf(u, v);  // pow: only instantiated for f32
    }
  }
};

template <BinaryOp Op, typename T>
struct Comparison {
  __device__ __forceinline__ bool operator()(T u, T v) const {
    if constexpr (Op == BinaryOp::eq) return u == v;
    else if constexpr (Op == BinaryOp::ne) return u != v;
    else if constexpr (Op == BinaryOp::lt) return u < v;
    else if constexpr (Op == BinaryOp::le) return u <= v;
    else if constexpr (Op == BinaryOp::gt) return u > v;
    else if constexpr (Op == BinaryOp::ge) return u >= v;
    else if constexpr (Op == BinaryOp::logical_and) return static_cast<bool>(u) && static_cast<bool>(v);
    else return static_cast<bool>(u) || static_cast<bool>(v);  // logical_or
  }
};

template <BinaryOp Op>
using OpCode = std::integral_constant<BinaryOp, Op>;

template <typename F>
void with_arithmetic_op(BinaryOp op, const char* name, bool allow_pow, engine::DType dtype, F&& f) {
  switch (op) {
    case BinaryOp::add: return f(OpCode<BinaryOp::add>{});
    case BinaryOp::sub: return f(OpCode<BinaryOp::sub>{});
    case BinaryOp::mul: return f(OpCode<BinaryOp::mul>{});
    case BinaryOp::div: return f(OpCode<BinaryOp::div>{});
    case BinaryOp::maximum: return f(OpCode<BinaryOp::maximum>{});
    case BinaryOp::minimum: return f(OpCode<BinaryOp::minimum>{});
    default: break;
  }
  if (op == BinaryOp::pow && allow_pow) return f(OpCode<BinaryOp::pow>{});
  unsupported_dtype(name, dtype);
}

template <typename F>
void with_comparison_op(BinaryOp op, F&& f) {
  switch (op) {
    case BinaryOp::eq: return f(OpCode<BinaryOp::eq>{});
    case BinaryOp::ne: return f(OpCode<BinaryOp::ne>{});
    case BinaryOp::lt: return f(OpCode<BinaryOp::lt>{});
    case BinaryOp::le: return f(OpCode<BinaryOp::le>{});
    case BinaryOp::gt: return f(OpCode<BinaryOp::gt>{});
    case BinaryOp::ge: return f(OpCode<BinaryOp::ge>{});
    case BinaryOp::logical_and: return f(OpCode<BinaryOp::logical_and>{});
    default: return f(OpCode<BinaryOp::logical_or>{});
  }
}

template <typename T>
void run_arithmetic(BinaryOp op, const char* name, engine::DType dtype, const void* a, const void* b, void* out,
                    const StridedIndex<3>& index, std::int64_t n, cudaStream_t stream) {
  with_arithmetic_op(op, name, std::is_same_v<T, float>, dtype, [&](auto code) {
    map2(Arithmetic<decltype(code)::value, T>{}, static_cast<T*>(out), static_cast<const T*>(a),
         static_cast<const T*>(b), index, n, stream);
  });
}

}  // namespace

void binary(BinaryOp op, engine::DType dtype, const void* a, const void* b, void* out, const StridedIndex<3>& index,
            std::int64_t n, cudaStream_t stream) {
  const char* name = engine::op_name(op);  // before any switch on op (keeps -Warray-bounds quiet)
  if (engine::is_comparison(op)) {
    if (dtype == engine::DType::f16 || dtype == engine::DType::bf16) unsupported_dtype(name, dtype);
    return dispatch_dtype(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!is_half_type<T>) {
        with_comparison_op(op, [&](auto code) {
          map2(Comparison<decltype(code)::value, T>{}, static_cast<bool*>(out), static_cast<const T*>(a),
               static_cast<const T*>(b), index, n, stream);
        });
      }
    });
  }
  switch (dtype) {
    case engine::DType::f32: return run_arithmetic<float>(op, name, dtype, a, b, out, index, n, stream);
    case engine::DType::i32: return run_arithmetic<std::int32_t>(op, name, dtype, a, b, out, index, n, stream);
    case engine::DType::i64: return run_arithmetic<std::int64_t>(op, name, dtype, a, b, out, index, n, stream);
    default: unsupported_dtype(name, dtype);
  }
}

}  // namespace kernels::cuda
