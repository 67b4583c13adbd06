// Indexing front-ends: index_select / index_add, gather / scatter_add and one_hot, with index
// validation (a bad index is an error naming the op and the value, never a wild write).
#include "kernels/cpu/index.h"
#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/dispatch.h"
#include "engine/ops.h"

namespace engine {

using autograd::NeedsGrad;

void check_index_range(const Tensor& index, std::int64_t limit, const char* op) {
  const Tensor c = index.cpu().contiguous();  // validated on the host (a cuda index is copied)
  dispatch_index(index.dtype(), op, [&](auto tag) {
    using I = decltype(tag);
    const I* p = c.data_ptr<I>();
    for (std::int64_t i = 0; i < c.numel(); ++i)
      ENGINE_CHECK(p[i] >= 0 && p[i] < limit, op, ": index ", static_cast<std::int64_t>(p[i]),
                   " is out of range [0, ", limit, ")");
  });
}

namespace {
// Checks index against x for gather / scatter_add: same rank, no larger in the other dims.
void check_gather_shapes(const Tensor& x, std::int64_t dim, const Tensor& index, const char* op) {
  ENGINE_CHECK(index.dim() == x.dim(), op, ": index ", index.str(), " must have the rank of ",
               x.str());
  for (std::int64_t d = 0; d < x.dim(); ++d)
    ENGINE_CHECK(d == dim || index.size(d) <= x.size(d), op, ": index ", index.str(),
                 " is larger than ", x.str(), " in dim ", d);
}
}  // namespace

Tensor index_select(const Tensor& x_in, std::int64_t dim, const Tensor& index) {
  dim = wrap_dim(dim, x_in.dim(), "index_select");
  ENGINE_CHECK(index.dim() <= 1, "index_select: index must be 1-D, got ", index.str());
  check_same_device(x_in, index, "index_select");
  check_index_range(index, x_in.size(dim), "index_select");
  const Tensor x = x_in.contiguous(), idx = index.contiguous();
  Shape shape = x.shape();
  shape[dim] = idx.numel();
  Tensor out = empty(shape, {.dtype = x.dtype(), .device = x.device()});
  DEVICE_KERNEL(out, index_select(x, dim, idx, out));
  autograd::record("index_select", out, {x},
                   [dim, idx, x_shape = x.shape()](const Tensor& g, const NeedsGrad&) {
                     const Tensor grad = zeros(x_shape, {.dtype = g.dtype(), .device = g.device()});
                     return std::vector<Tensor>{index_add(grad, dim, idx, g)};
                   });
  return out;
}

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src) {
  check_same_device(x, index, "index_add");
  check_same_device(x, src, "index_add");
  dim = wrap_dim(dim, x.dim(), "index_add");
  check_same_dtype(x, src, "index_add");
  ENGINE_CHECK(index.dim() <= 1, "index_add: index must be 1-D, got ", index.str());
  Shape expected = x.shape();
  expected[dim] = index.numel();
  ENGINE_CHECK(src.shape() == expected, "index_add: source ", src.str(), " should have shape ",
               shape_str(expected), " for ", x.str(), " and ", index.str());
  check_index_range(index, x.size(dim), "index_add");
  Tensor out = x.detach().clone();
  const Tensor idx = index.contiguous();
  DEVICE_KERNEL(out, index_add(out, dim, idx, src.contiguous()));
  autograd::record("index_add", out, {x, src}, [dim, idx](const Tensor& g, const NeedsGrad& needs) {
    return std::vector<Tensor>{g, needs[1] ? index_select(g, dim, idx) : Tensor()};
  });
  return out;
}

Tensor gather(const Tensor& x_in, std::int64_t dim, const Tensor& index) {
  check_same_device(x_in, index, "gather");
  dim = wrap_dim(dim, x_in.dim(), "gather");
  check_gather_shapes(x_in, dim, index, "gather");
  check_index_range(index, x_in.size(dim), "gather");
  const Tensor x = x_in.contiguous(), idx = index.contiguous();
  Tensor out = empty(idx.shape(), {.dtype = x.dtype(), .device = x.device()});
  DEVICE_KERNEL(out, gather(x, dim, idx, out));
  autograd::record("gather", out, {x},
                   [dim, idx, x_shape = x.shape()](const Tensor& g, const NeedsGrad&) {
                     const Tensor grad = zeros(x_shape, {.dtype = g.dtype(), .device = g.device()});
                     return std::vector<Tensor>{scatter_add(grad, dim, idx, g)};
                   });
  return out;
}

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src_in) {
  check_same_device(x, index, "scatter_add");
  check_same_device(x, src_in, "scatter_add");
  dim = wrap_dim(dim, x.dim(), "scatter_add");
  check_same_dtype(x, src_in, "scatter_add");
  check_gather_shapes(x, dim, index, "scatter_add");
  ENGINE_CHECK(src_in.dim() == index.dim(), "scatter_add: source ", src_in.str(),
               " must have the rank of index ", index.str());
  for (std::int64_t d = 0; d < index.dim(); ++d)
    ENGINE_CHECK(index.size(d) <= src_in.size(d), "scatter_add: index ", index.str(),
                 " is larger than source ", src_in.str());
  check_index_range(index, x.size(dim), "scatter_add");
  // Only the part of src covered by index takes part (as PyTorch).
  Tensor src = src_in;
  for (std::int64_t d = 0; d < index.dim(); ++d) src = src.narrow(d, 0, index.size(d));
  const Tensor idx = index.contiguous();
  Tensor out = x.detach().clone();
  DEVICE_KERNEL(out, scatter_add(out, dim, idx, src.contiguous()));
  autograd::record("scatter_add", out, {x, src},
                   [dim, idx](const Tensor& g, const NeedsGrad& needs) {
                     return std::vector<Tensor>{g, needs[1] ? gather(g, dim, idx) : Tensor()};
                   });
  return out;
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes) {
  ENGINE_CHECK(num_classes > 0, "one_hot: num_classes must be positive, got ", num_classes);
  check_index_range(index, num_classes, "one_hot");
  Shape shape = index.shape();
  shape.push_back(num_classes);
  Tensor out = empty(shape, {.dtype = DType::i64, .device = index.device()});
  DEVICE_KERNEL(out, one_hot(index.contiguous(), num_classes, out));
  return out;
}

}  // namespace engine
