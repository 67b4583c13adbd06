// The registry of elementwise and reduction op kinds shared by every backend: one enum per
// family plus a name table, checked against the enum's size at compile time.
#pragma once

#include <array>
#include <cstddef>

namespace engine {

enum class UnaryOp {
  neg,
  exp,
  log,
  sqrt,
  rsqrt,
  abs,
  sin,
  cos,
  square,
  reciprocal,
  sign,
  relu,
  sigmoid,
  tanh,
  silu,
  gelu,
  log1p,
  expm1,
  floor,
  ceil,
  logical_not,
  count_
};
inline constexpr std::array<const char*, static_cast<std::size_t>(UnaryOp::count_)> kUnaryOpNames =
    {"neg",  "exp",    "log",        "sqrt",  "rsqrt", "abs",     "sin",
     "cos",  "square", "reciprocal", "sign",  "relu",  "sigmoid", "tanh",
     "silu", "gelu",   "log1p",      "expm1", "floor", "ceil",    "logical_not"};
static_assert(kUnaryOpNames.size() == 21, "update kUnaryOpNames with UnaryOp");

enum class BinaryOp {
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
  pow,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logical_and,
  logical_or,
  count_
};
inline constexpr std::array<const char*, static_cast<std::size_t>(BinaryOp::count_)>
    kBinaryOpNames = {"add", "sub", "mul", "div", "maximum", "minimum",     "pow",       "eq",
                      "ne",  "lt",  "le",  "gt",  "ge",      "logical_and", "logical_or"};
static_assert(kBinaryOpNames.size() == 15, "update kBinaryOpNames with BinaryOp");

inline bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::eq;
}

enum class ReduceOp { sum, mean, max, min, logsumexp, var, count_ };
inline constexpr std::array<const char*, static_cast<std::size_t>(ReduceOp::count_)>
    kReduceOpNames = {"sum", "mean", "max", "min", "logsumexp", "var"};

inline const char* op_name(UnaryOp op) {
  return kUnaryOpNames[static_cast<std::size_t>(op)];
}
inline const char* op_name(BinaryOp op) {
  return kBinaryOpNames[static_cast<std::size_t>(op)];
}
inline const char* op_name(ReduceOp op) {
  return kReduceOpNames[static_cast<std::size_t>(op)];
}

}  // namespace engine
