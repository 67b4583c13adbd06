// Reduction front-ends: dim normalisation, keepdim handling, kernel call and backward
// (each reduction's gradient is broadcast back over the reduced dims).
#include <algorithm>
#include <cmath>

#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/device_kernel.h"
#include "engine/ops.h"
#include "kernels/cpu/reduce.h"

namespace engine {

using autograd::NeedsGrad;

namespace {

// Sorted, unique, wrapped dims; empty means all dims.
std::vector<std::int64_t> normalize_dims(const std::vector<std::int64_t>& dims,
                                         const Tensor& x,
                                         const char* op) {
  std::vector<std::int64_t> out;
  if (dims.empty()) {
    for (std::int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
    return out;
  }
  for (auto d : dims) out.push_back(wrap_dim(d, x.dim(), op));
  std::sort(out.begin(), out.end());
  ENGINE_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op, ": a dim is repeated");
  if (x.dim() == 0) out.clear();
  return out;
}

Shape keepdim_shape(const Tensor& x, const std::vector<std::int64_t>& dims) {
  Shape shape = x.shape();
  for (auto d : dims) shape[d] = 1;
  return shape;
}

Shape dropped_shape(const Tensor& x, const std::vector<std::int64_t>& dims) {
  Shape shape;
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), d)) shape.push_back(x.size(d));
  return shape;
}

std::int64_t reduced_count(const Tensor& x, const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (auto d : dims) n *= x.size(d);
  return n;
}

// Runs the kernel into a keepdim-shaped tensor and returns it in the requested form.
Tensor run_reduce(ReduceOp op,
                  const Tensor& x,
                  const std::vector<std::int64_t>& dims,
                  bool keepdim,
                  std::int64_t correction = 1) {
  if (op == ReduceOp::max || op == ReduceOp::min)
    ENGINE_CHECK(reduced_count(x, dims) > 0, op_name(op), ": cannot reduce an empty dimension of ",
                 x.str());
  Tensor out = empty(keepdim_shape(x, dims), {.dtype = x.dtype(), .device = x.device()});
  DEVICE_KERNEL(x, reduce(op, x, dims, out, correction));
  return keepdim ? out : out.view(dropped_shape(x, dims));
}

// The gradient of a reduction comes back in the output's form; make it keepdim-shaped.
Tensor to_keepdim(const Tensor& g, const Tensor& x, const std::vector<std::int64_t>& dims) {
  return g.reshape(keepdim_shape(x, dims));
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims_in, bool keepdim) {
  const auto dims = normalize_dims(dims_in, x, "sum");
  Tensor out = run_reduce(ReduceOp::sum, x, dims, keepdim);
  autograd::record(
      "sum", out, {x},
      [x_shape = x.shape(), x_meta = x.detach(), dims](const Tensor& g, const NeedsGrad&) {
        return std::vector<Tensor>{to_keepdim(g, x_meta, dims).expand(x_shape)};
      });
  return out;
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims_in, bool keepdim) {
  const auto dims = normalize_dims(dims_in, x, "mean");
  Tensor out = run_reduce(ReduceOp::mean, x, dims, keepdim);
  const double scale = 1.0 / static_cast<double>(std::max<std::int64_t>(reduced_count(x, dims), 1));
  autograd::record(
      "mean", out, {x}, [x_meta = x.detach(), dims, scale](const Tensor& g, const NeedsGrad&) {
        return std::vector<Tensor>{mul(to_keepdim(g, x_meta, dims), scale).expand(x_meta.shape())};
      });
  return out;
}

namespace {
// amax/amin: the gradient is shared evenly among the elements equal to the extreme (PyTorch).
Tensor extreme(ReduceOp op,
               const Tensor& x,
               const std::vector<std::int64_t>& dims_in,
               bool keepdim) {
  const auto dims = normalize_dims(dims_in, x, op_name(op));
  Tensor out = run_reduce(op, x, dims, keepdim);
  if (is_floating(x.dtype())) {
    autograd::record(op_name(op), out, {x},
                     [x = x.detach(), dims, o = out.detach()](const Tensor& g, const NeedsGrad&) {
                       const Tensor hit = eq(x, to_keepdim(o, x, dims)).to(x.dtype());
                       const Tensor count = sum(hit, dims, true);
                       return std::vector<Tensor>{mul(hit, div(to_keepdim(g, x, dims), count))};
                     });
  }
  return out;
}
}  // namespace

Tensor amax(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return extreme(ReduceOp::max, x, dims, keepdim);
}
Tensor amin(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return extreme(ReduceOp::min, x, dims, keepdim);
}
Tensor max(const Tensor& x) {
  return amax(x);
}
Tensor min(const Tensor& x) {
  return amin(x);
}

Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims_in, bool keepdim) {
  const auto dims = normalize_dims(dims_in, x, "logsumexp");
  Tensor out = run_reduce(ReduceOp::logsumexp, x, dims, keepdim);
  autograd::record("logsumexp", out, {x},
                   [x = x.detach(), dims, o = out.detach()](const Tensor& g, const NeedsGrad&) {
                     const Tensor softmax_weights = exp(sub(x, to_keepdim(o, x, dims)));
                     return std::vector<Tensor>{mul(softmax_weights, to_keepdim(g, x, dims))};
                   });
  return out;
}

Tensor var(const Tensor& x,
           const std::vector<std::int64_t>& dims_in,
           std::int64_t correction,
           bool keepdim) {
  const auto dims = normalize_dims(dims_in, x, "var");
  Tensor out = run_reduce(ReduceOp::var, x, dims, keepdim, correction);
  const double scale = 2.0 / static_cast<double>(reduced_count(x, dims) - correction);
  autograd::record("var", out, {x},
                   [x = x.detach(), dims, scale](const Tensor& g, const NeedsGrad&) {
                     const Tensor centered = sub(x, mean(x, dims, true));
                     return std::vector<Tensor>{mul(mul(centered, to_keepdim(g, x, dims)), scale)};
                   });
  return out;
}

namespace {
ValuesIndices arg_extreme(bool is_max, const Tensor& x, std::int64_t dim, bool keepdim) {
  const char* op = is_max ? "max" : "min";
  dim = wrap_dim(dim, x.dim(), op);
  const std::vector<std::int64_t> dims =
      x.dim() == 0 ? std::vector<std::int64_t>{} : std::vector{dim};
  ENGINE_CHECK(reduced_count(x, dims) > 0, op, ": cannot reduce an empty dimension of ", x.str());
  Tensor values = empty(keepdim_shape(x, dims), {.dtype = x.dtype(), .device = x.device()});
  Tensor indices = empty(keepdim_shape(x, dims), {.dtype = DType::i64, .device = x.device()});
  if (x.dim() == 0) {
    values.copy_(x);
    indices.fill_(0);
  } else {
    DEVICE_KERNEL(x, arg_reduce(is_max, x, dim, values, indices));
  }
  if (is_floating(x.dtype())) {
    // The gradient flows to the selected element only (as PyTorch's max(dim)).
    autograd::record(
        op, values, {x},
        [x_meta = x.detach(), dim, idx = indices](const Tensor& g, const NeedsGrad&) {
          Tensor grad = zeros_like(x_meta);
          if (x_meta.dim() == 0) return std::vector<Tensor>{g.reshape({})};
          return std::vector<Tensor>{scatter_add(grad, dim, idx, g.reshape(idx.shape()))};
        });
  }
  if (!keepdim) {
    values = values.view(dropped_shape(x, dims));
    indices = indices.view(dropped_shape(x, dims));
  }
  return {values, indices};
}
}  // namespace

ValuesIndices max(const Tensor& x, std::int64_t dim, bool keepdim) {
  return arg_extreme(true, x, dim, keepdim);
}
ValuesIndices min(const Tensor& x, std::int64_t dim, bool keepdim) {
  return arg_extreme(false, x, dim, keepdim);
}
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  return max(x.detach(), dim, keepdim).indices;
}
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
  return min(x.detach(), dim, keepdim).indices;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  ENGINE_CHECK(broadcast_shapes(shape, x.shape(), "sum_to") == x.shape(), "sum_to: ", x.str(),
               " is not a broadcast of ", shape_str(shape));
  const std::size_t lead = x.shape().size() - shape.size();
  std::vector<std::int64_t> dims;
  for (std::size_t d = 0; d < x.shape().size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && x.shape()[d] != 1))
      dims.push_back(static_cast<std::int64_t>(d));
  return sum(x, dims, true).reshape(shape);
}

}  // namespace engine
