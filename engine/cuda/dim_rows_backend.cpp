// The CUDA backend's ops along one dim (softmax / log_softmax and backward, max / min with their
// indices): the kernels take rows of a contiguous [rows, n] matrix, so the dim is moved last
// first (a permuted contiguous copy unless it is last already) and results are written back.
#include "engine/autograd.h"
#include "engine/cuda/dim_split.h"
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/arg_reduce.h"
#include "kernels/cuda/softmax.h"

namespace engine::cuda_backend {

namespace {
std::int64_t rows_of(const Tensor& t) {
  return t.numel() == 0 ? 0 : t.numel() / t.size(-1);
}
// Copies a dim-last result back into out (nothing when it was computed in place).
void store(const Tensor& result, std::int64_t dim, const Tensor& out) {
  if (result.is_same(out)) return;
  autograd::NoGradGuard no_grad;
  out.permute(dims_with_last(out.dim(), dim)).copy_(result);
}
// An output for a dim-last computation: out itself when `moved` is the input unchanged.
Tensor dim_last_output(const Tensor& moved, const Tensor& input, const Tensor& out) {
  return moved.is_same(input) ? out : empty_like(moved);
}
}  // namespace

void softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& y) {
  const char* op = log ? "log_softmax" : "softmax";
  const Tensor xl = with_dim_last(x, dim), yl = dim_last_output(xl, x, y);
  kernels::cuda::softmax_forward_f32(f32(xl, op), rows_of(xl), xl.size(-1), log, f32(yl, op),
                                     stream());
  store(yl, dim, y);
}

void softmax_backward(
    const Tensor& grad_y, const Tensor& y, std::int64_t dim, bool log, const Tensor& grad_x) {
  const char* op = log ? "log_softmax backward" : "softmax backward";
  const Tensor gl = with_dim_last(grad_y, dim), yl = with_dim_last(y, dim);
  const Tensor gxl = dim_last_output(yl, y, grad_x);
  kernels::cuda::softmax_backward_f32(f32(gl, op), f32(yl, op), rows_of(yl), yl.size(-1), log,
                                      f32(gxl, op), stream());
  store(gxl, dim, grad_x);
}

void arg_reduce(
    bool is_max, const Tensor& x, std::int64_t dim, const Tensor& values, const Tensor& indices) {
  const char* op = is_max ? "max(dim)" : "min(dim)";
  // values / indices (keepdim, contiguous) list the rows in the order of the dims kept.
  const Tensor xl = with_dim_last(x, dim);
  kernels::cuda::arg_reduce_rows_f32(is_max, f32(xl, op), rows_of(xl), xl.size(-1), f32(values, op),
                                     device_pointer<std::int64_t>(indices), stream());
}

}  // namespace engine::cuda_backend
