// The CUDA backend's elementwise entries: geometry from the tensors (StridedIndex), then the
// kernels of kernels/cuda/elementwise.h; contiguous same-shape f32 arithmetic takes the float4
// path.
#include "engine/cuda/stream.h"
#include "engine/cuda/strided_index.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/binary.h"
#include "kernels/cuda/elementwise.h"

namespace engine::cuda_backend {

namespace {
bool vectorized_arithmetic(BinaryOp op) {
  return op == BinaryOp::add || op == BinaryOp::sub || op == BinaryOp::mul || op == BinaryOp::div ||
         op == BinaryOp::maximum || op == BinaryOp::minimum;
}
}  // namespace

void fill(const Tensor& dst, double value) {
  const auto index = strided_index<1>(dst, {}, "fill_");
  kernels::cuda::fill(dst.dtype(), device_pointer(dst), value, index, dst.numel(), stream());
}

void copy(const Tensor& src, const Tensor& dst) {
  const auto index = strided_index<2>(dst, {src}, "copy_");
  kernels::cuda::copy(src.dtype(), device_pointer(src), dst.dtype(), device_pointer(dst), index,
                      dst.numel(), stream());
}

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  const auto index = strided_index<2>(out, {x}, op_name(op));
  kernels::cuda::unary(op, x.dtype(), device_pointer(x), device_pointer(out), index, out.numel(),
                       stream());
}

void unary_backward(
    UnaryOp op, const Tensor& grad, const Tensor& x, const Tensor& y, const Tensor& grad_x) {
  const auto index = strided_index<4>(grad_x, {grad, x, y}, op_name(op));
  kernels::cuda::unary_backward(op, x.dtype(), device_pointer(grad), device_pointer(x),
                                device_pointer(y), device_pointer(grad_x), index, grad_x.numel(),
                                stream());
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const auto index = strided_index<3>(out, {a, b}, op_name(op));
  if (index.contiguous && a.dtype() == DType::f32 && vectorized_arithmetic(op)) {
    kernels::cuda::binary_contiguous_f32(op, device_pointer<const float>(a),
                                         device_pointer<const float>(b), device_pointer<float>(out),
                                         out.numel(), stream());
    return;
  }
  kernels::cuda::binary(op, a.dtype(), device_pointer(a), device_pointer(b), device_pointer(out),
                        index, out.numel(), stream());
}

void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const auto index = strided_index<4>(out, {cond, a, b}, "where");
  kernels::cuda::where(a.dtype(), device_pointer<const bool>(cond), device_pointer(a),
                       device_pointer(b), device_pointer(out), index, out.numel(), stream());
}

void arange_into(double start, double step, const Tensor& out) {
  kernels::cuda::arange(out.dtype(), device_pointer(out), start, step, out.numel(), stream());
}

void clamp(const Tensor& x, double lo, double hi, const Tensor& out) {
  const auto index = strided_index<2>(out, {x}, "clamp");
  kernels::cuda::clamp(x.dtype(), device_pointer(x), device_pointer(out), lo, hi, index,
                       out.numel(), stream());
}

}  // namespace engine::cuda_backend
