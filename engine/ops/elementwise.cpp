// Elementwise op front-ends: dtype/device checks, broadcasting, kernel call, and the backward
// formulas (unary ones through the fused unary_backward kernel, binary ones composed).
#include <cmath>

#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "kernels/cpu/elementwise.h"

namespace engine {

using autograd::NeedsGrad;

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  ENGINE_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch between ", a.str(), " and ", b.str(),
               " (convert one with .to(DType::...))");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  ENGINE_CHECK(a.device() == b.device(), op, ": device mismatch between ", a.str(), " and ",
               b.str());
}

void require_cpu(const char* op, const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors)
    ENGINE_CHECK(!t.defined() || t.device().is_cpu(), op, ": no CUDA kernel yet (", t.str(),
                 "); move the inputs to the CPU with .cpu()");
}

namespace {

bool has_derivative(UnaryOp op) {
  return op != UnaryOp::sign && op != UnaryOp::floor && op != UnaryOp::ceil &&
         op != UnaryOp::logical_not;
}

Tensor scalar_like(double value, const Tensor& like) {
  return scalar_tensor(value, {.dtype = like.dtype(), .device = like.device()});
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x) {
  Tensor y = empty_like(x);
  if (x.device().is_cuda())
    cuda_backend::unary(op, x, y);
  else
    kernels::cpu::unary(op, x, y);
  if (has_derivative(op) && is_floating(x.dtype())) {
    autograd::record(op_name(op), y, {x},
                     [op, x, y = y.detach()](const Tensor& g, const NeedsGrad&) {
                       Tensor gx = empty_like(g);
                       if (gx.device().is_cuda())
                         cuda_backend::unary_backward(op, g, x.detach(), y, gx);
                       else
                         kernels::cpu::unary_backward(op, g, x.detach(), y, gx);
                       return std::vector<Tensor>{gx};
                     });
  }
  return y;
}

Tensor neg(const Tensor& x) {
  return unary(UnaryOp::neg, x);
}
Tensor exp(const Tensor& x) {
  return unary(UnaryOp::exp, x);
}
Tensor log(const Tensor& x) {
  return unary(UnaryOp::log, x);
}
Tensor sqrt(const Tensor& x) {
  return unary(UnaryOp::sqrt, x);
}
Tensor rsqrt(const Tensor& x) {
  return unary(UnaryOp::rsqrt, x);
}
Tensor abs(const Tensor& x) {
  return unary(UnaryOp::abs, x);
}
Tensor sin(const Tensor& x) {
  return unary(UnaryOp::sin, x);
}
Tensor cos(const Tensor& x) {
  return unary(UnaryOp::cos, x);
}
Tensor square(const Tensor& x) {
  return unary(UnaryOp::square, x);
}
Tensor reciprocal(const Tensor& x) {
  return unary(UnaryOp::reciprocal, x);
}
Tensor sign(const Tensor& x) {
  return unary(UnaryOp::sign, x);
}
Tensor relu(const Tensor& x) {
  return unary(UnaryOp::relu, x);
}
Tensor sigmoid(const Tensor& x) {
  return unary(UnaryOp::sigmoid, x);
}
Tensor tanh(const Tensor& x) {
  return unary(UnaryOp::tanh, x);
}
Tensor silu(const Tensor& x) {
  return unary(UnaryOp::silu, x);
}
Tensor gelu(const Tensor& x) {
  return unary(UnaryOp::gelu, x);
}
Tensor log1p(const Tensor& x) {
  return unary(UnaryOp::log1p, x);
}
Tensor expm1(const Tensor& x) {
  return unary(UnaryOp::expm1, x);
}
Tensor floor(const Tensor& x) {
  return unary(UnaryOp::floor, x);
}
Tensor ceil(const Tensor& x) {
  return unary(UnaryOp::ceil, x);
}
Tensor logical_not(const Tensor& x) {
  return unary(UnaryOp::logical_not, x);
}

namespace {

// Gradients of the differentiable binary ops, reduced back to each operand's shape.
std::vector<Tensor> binary_backward(BinaryOp op,
                                    const Tensor& g,
                                    const Tensor& a,
                                    const Tensor& b,
                                    const Tensor& out,
                                    const NeedsGrad& needs) {
  Tensor ga, gb;
  switch (op) {
    case BinaryOp::add:
      ga = g;
      gb = g;
      break;
    case BinaryOp::sub:
      ga = g;
      if (needs[1]) gb = neg(g);
      break;
    case BinaryOp::mul:
      if (needs[0]) ga = mul(g, b);
      if (needs[1]) gb = mul(g, a);
      break;
    case BinaryOp::div:
      if (needs[0]) ga = div(g, b);
      if (needs[1]) gb = neg(mul(g, div(out, b)));
      break;
    case BinaryOp::maximum:
    case BinaryOp::minimum: {
      // The larger (smaller) operand takes the gradient; ties split it evenly (as PyTorch).
      const Tensor a_wins = (op == BinaryOp::maximum ? gt(a, b) : lt(a, b)).to(g.dtype());
      const Tensor tie = eq(a, b).to(g.dtype());
      const Tensor share_a = add(a_wins, mul(tie, 0.5));
      if (needs[0]) ga = mul(g, share_a);
      if (needs[1]) gb = mul(g, sub(scalar_like(1.0, share_a), share_a));
      break;
    }
    case BinaryOp::pow:
      // d/da a^b = b a^(b-1);  d/db a^b = a^b log(a), taken as 0 where a == 0 (PyTorch's choice).
      if (needs[0]) ga = mul(g, mul(b, pow(a, sub(b, scalar_like(1.0, b)))));
      if (needs[1]) {
        const Tensor safe_log = where(eq(a, 0.0), scalar_like(0.0, a), log(a));
        gb = mul(g, mul(out, safe_log));
      }
      break;
    default:
      ENGINE_FAIL(op_name(op), " has no derivative");
  }
  return {ga.defined() && needs[0] ? sum_to(ga, a.shape()) : Tensor(),
          gb.defined() && needs[1] ? sum_to(gb, b.shape()) : Tensor()};
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_same_dtype(a, b, op_name(op));
  check_same_device(a, b, op_name(op));
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op_name(op));
  Tensor out =
      empty(shape, {.dtype = is_comparison(op) ? DType::b8 : a.dtype(), .device = a.device()});
  if (out.device().is_cuda())
    cuda_backend::binary(op, a, b, out);
  else
    kernels::cpu::binary(op, a, b, out);
  if (!is_comparison(op) && is_floating(a.dtype())) {
    autograd::record(op_name(op), out, {a, b},
                     [op, a, b, o = out.detach()](const Tensor& g, const NeedsGrad& needs) {
                       return binary_backward(op, g, a.detach(), b.detach(), o, needs);
                     });
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::add, a, b);
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::sub, a, b);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::mul, a, b);
}
Tensor div(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::div, a, b);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::maximum, a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::minimum, a, b);
}
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::pow, a, b);
}
Tensor pow(const Tensor& a, double exponent) {
  return pow(a, scalar_like(exponent, a));
}
Tensor add(const Tensor& a, double b) {
  return add(a, scalar_like(b, a));
}
Tensor mul(const Tensor& a, double b) {
  return mul(a, scalar_like(b, a));
}
Tensor eq(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::eq, a, b);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::ne, a, b);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::lt, a, b);
}
Tensor le(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::le, a, b);
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::gt, a, b);
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::ge, a, b);
}
Tensor eq(const Tensor& a, double b) {
  return eq(a, scalar_like(b, a));
}
Tensor ne(const Tensor& a, double b) {
  return ne(a, scalar_like(b, a));
}
Tensor lt(const Tensor& a, double b) {
  return lt(a, scalar_like(b, a));
}
Tensor le(const Tensor& a, double b) {
  return le(a, scalar_like(b, a));
}
Tensor gt(const Tensor& a, double b) {
  return gt(a, scalar_like(b, a));
}
Tensor ge(const Tensor& a, double b) {
  return ge(a, scalar_like(b, a));
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::logical_and, a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::logical_or, a, b);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  ENGINE_CHECK(cond.dtype() == DType::b8, "where: condition must be bool, got ", cond.str());
  check_same_dtype(a, b, "where");
  check_same_device(a, b, "where");
  check_same_device(cond, a, "where");
  const Shape shape =
      broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = empty(shape, {.dtype = a.dtype(), .device = a.device()});
  if (out.device().is_cuda())
    cuda_backend::where(cond, a, b, out);
  else
    kernels::cpu::where(cond, a, b, out);
  autograd::record(
      "where", out, {a, b},
      [cond, a_shape = a.shape(), b_shape = b.shape()](const Tensor& g, const NeedsGrad& needs) {
        const Tensor zero = scalar_like(0.0, g);
        return std::vector<Tensor>{needs[0] ? sum_to(where(cond, g, zero), a_shape) : Tensor(),
                                   needs[1] ? sum_to(where(cond, zero, g), b_shape) : Tensor()};
      });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  return where(cond, a, scalar_like(b, a));
}

Tensor clamp(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  const double low = lo.value_or(-INFINITY), high = hi.value_or(INFINITY);
  ENGINE_CHECK(!(low > high), "clamp: min ", low, " is greater than max ", high);
  Tensor out = empty_like(x);
  if (out.device().is_cuda())
    cuda_backend::clamp(x, low, high, out);
  else
    kernels::cpu::clamp(x, low, high, out);
  autograd::record("clamp", out, {x}, [x, low, high](const Tensor& g, const NeedsGrad&) {
    // Gradient passes where the input lies inside [min, max] (bounds included, as PyTorch).
    const Tensor inside = logical_and(ge(x.detach(), low), le(x.detach(), high));
    return std::vector<Tensor>{where(inside, g, 0.0)};
  });
  return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& a) {
  return neg(a);
}
Tensor operator+(const Tensor& a, double b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, double b) {
  return add(a, -b);
}
Tensor operator*(const Tensor& a, double b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, double b) {
  return div(a, scalar_like(b, a));
}
Tensor operator+(double a, const Tensor& b) {
  return add(b, a);
}
Tensor operator-(double a, const Tensor& b) {
  return sub(scalar_like(a, b), b);
}
Tensor operator*(double a, const Tensor& b) {
  return mul(b, a);
}
Tensor operator/(double a, const Tensor& b) {
  return div(scalar_like(a, b), b);
}

}  // namespace engine
