// softmax / log_softmax front-ends; both have dedicated backward kernels that use the
// forward output only.
#include "kernels/cpu/softmax.h"
#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/ops.h"

namespace engine {

namespace {
Tensor softmax_impl(const Tensor& x_in, std::int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  ENGINE_CHECK(is_floating(x_in.dtype()), op, ": needs a floating tensor, got ", x_in.str());
  if (x_in.dim() == 0) return softmax_impl(x_in.reshape({1}), 0, log).reshape({});
  dim = wrap_dim(dim, x_in.dim(), op);
  const Tensor x = x_in.contiguous();
  Tensor y = empty_like(x);
  if (x.numel() > 0) DEVICE_KERNEL(y, softmax(x, dim, log, y));
  autograd::record(op, y, {x},
                   [dim, log, y_saved = y.detach()](const Tensor& g, const autograd::NeedsGrad&) {
                     Tensor gx = empty_like(y_saved);
                     if (gx.numel() > 0)
                       DEVICE_KERNEL(gx, softmax_backward(g.contiguous(), y_saved, dim, log, gx));
                     return std::vector<Tensor>{gx};
                   });
  return y;
}
}  // namespace

Tensor softmax(const Tensor& x, std::int64_t dim) {
  return softmax_impl(x, dim, false);
}
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  return softmax_impl(x, dim, true);
}

}  // namespace engine
