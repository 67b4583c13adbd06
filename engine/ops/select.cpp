// Sorting and selection front-ends: topk, sort/argsort, nonzero, masked_select, index_put and
// repeat_interleave. Gradients go back through scatter_add / index_select / slice takes.
#include <unordered_map>

#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/dispatch.h"
#include "engine/ops.h"
#include "engine/select_ops.h"
#include "kernels/cpu/select.h"

namespace engine {

using autograd::NeedsGrad;

namespace {

// Sorts along dim and keeps the first k of the order; values carry the gradient to x.
ValuesIndices ordered(
    const Tensor& x_in, std::int64_t k, std::int64_t dim, bool descending, const char* op) {
  if (x_in.dim() == 0) {
    ValuesIndices r = ordered(x_in.reshape({1}), k, 0, descending, op);
    return {r.values.reshape({}), r.indices.reshape({})};
  }
  dim = wrap_dim(dim, x_in.dim(), op);
  ENGINE_CHECK(k >= 0 && k <= x_in.size(dim), op, ": k = ", k, " is outside [0, ", x_in.size(dim),
               "] for ", x_in.str(), " along dim ", dim);
  const Tensor x = x_in.contiguous();
  Shape shape = x.shape();
  shape[dim] = k;
  Tensor values = empty(shape, {.dtype = x.dtype(), .device = x.device()});
  Tensor indices = empty(shape, {.dtype = DType::i64, .device = x.device()});
  dispatch_number(x.dtype(), op, [](auto) {});  // a clear error for u8 / bool
  if (values.numel() > 0) DEVICE_KERNEL(x, sort(x, dim, descending, values, indices));
  if (is_floating(x.dtype())) {
    autograd::record(
        op, values, {x}, [dim, indices, x_shape = x.shape()](const Tensor& g, const NeedsGrad&) {
          return std::vector<Tensor>{scatter_add(
              zeros(x_shape, {.dtype = g.dtype(), .device = g.device()}), dim, indices, g)};
        });
  }
  return {values, indices};
}

// The i64 index tensors that `indices` stand for (bool masks become their coordinates), on the
// CPU (they are validated and turned into offsets there, whatever the device).
std::vector<Tensor> integer_indices(const Tensor& x, const std::vector<Tensor>& indices) {
  std::vector<Tensor> out;
  for (const Tensor& idx_any : indices) {
    ENGINE_CHECK(idx_any.defined(), "index_put: an index tensor is undefined");
    const Tensor idx = idx_any.detach().cpu();
    const auto d = static_cast<std::int64_t>(out.size());
    if (idx.dtype() == DType::b8) {
      ENGINE_CHECK(d + idx.dim() <= x.dim(), "index_put: bool index ", idx.str(),
                   " has too many dims for ", x.str());
      for (std::int64_t i = 0; i < idx.dim(); ++i)
        ENGINE_CHECK(idx.size(i) == x.size(d + i), "index_put: bool index ", idx.str(),
                     " does not match ", x.str(), " at dim ", d + i);
      const Tensor coords = nonzero(idx);  // [n, idx.dim()]
      for (std::int64_t i = 0; i < idx.dim(); ++i) out.push_back(coords.select(1, i));
    } else {
      ENGINE_CHECK(idx.dtype() == DType::i64 || idx.dtype() == DType::i32, "index_put: index ",
                   idx.str(), " must be i64, i32 or bool");
      out.push_back(idx.to(DType::i64));
    }
  }
  ENGINE_CHECK(!out.empty() && static_cast<std::int64_t>(out.size()) <= x.dim(),
               "index_put: ", out.size(), " index tensors for ", x.str());
  return out;
}

}  // namespace

ValuesIndices topk(
    const Tensor& x, std::int64_t k, std::int64_t dim, bool largest, bool /*sorted*/) {
  return ordered(x, k, dim, largest, "topk");
}

ValuesIndices sort(const Tensor& x, std::int64_t dim, bool descending) {
  const std::int64_t n = x.dim() == 0 ? 1 : x.size(wrap_dim(dim, x.dim(), "sort"));
  return ordered(x, n, dim, descending, "sort");
}

Tensor argsort(const Tensor& x, std::int64_t dim, bool descending) {
  return sort(x.detach(), dim, descending).indices;
}

Tensor nonzero(const Tensor& x_in) {
  const Tensor x = x_in.detach().contiguous();
  return x.device().is_cuda() ? cuda_backend::nonzero(x) : kernels::cpu::nonzero(x);
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  ENGINE_CHECK(mask.dtype() == DType::b8, "masked_select: mask must be bool, got ", mask.str());
  const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  const Tensor picked = nonzero(mask.expand(shape).reshape({-1})).reshape({-1});  // [n]
  return index_select(x.expand(shape).reshape({-1}), 0, picked);
}

Tensor index_put(const Tensor& x_in,
                 const std::vector<Tensor>& indices,
                 const Tensor& values_in,
                 bool accumulate) {
  const char* op = "index_put";
  check_same_dtype(x_in, values_in, op);
  check_same_device(x_in, values_in, op);
  const std::vector<Tensor> idx = integer_indices(x_in, indices);
  const auto k = static_cast<std::int64_t>(idx.size());
  Shape index_shape = idx[0].shape();
  for (const Tensor& t : idx) index_shape = broadcast_shapes(index_shape, t.shape(), op);
  // Element offsets of the addressed slices in contiguous x: sum_d index_d * stride_d.
  const Shape strides = contiguous_strides(x_in.shape());
  Tensor offsets = zeros(index_shape, {.dtype = DType::i64});
  for (std::int64_t d = 0; d < k; ++d) {
    const Tensor t = idx[static_cast<std::size_t>(d)].contiguous();
    const std::int64_t size = x_in.size(d);
    const std::int64_t* p = t.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < t.numel(); ++i)
      ENGINE_CHECK(p[i] >= -size && p[i] < size, op, ": index ", p[i], " is out of range for dim ",
                   d, " of size ", size, " in ", x_in.str());
    const Tensor wrapped = where(lt(t, 0.0), add(t, static_cast<double>(size)), t);
    offsets = add(offsets, mul(wrapped, static_cast<double>(strides[static_cast<std::size_t>(d)])));
  }
  const Tensor host_offsets = offsets.contiguous().reshape({-1});  // [M]
  offsets = host_offsets.to(x_in.device());
  Shape slice_shape(x_in.shape().begin() + k, x_in.shape().end());
  Shape target = index_shape;
  target.insert(target.end(), slice_shape.begin(), slice_shape.end());
  ENGINE_CHECK(broadcast_shapes(values_in.shape(), target, op) == target, op, ": values ",
               values_in.str(), " cannot be broadcast to ", shape_str(target),
               " (indexed shape of ", x_in.str(), ")");
  const std::int64_t m = offsets.numel(), s = numel(slice_shape);
  const Tensor values = values_in.detach().expand(target).contiguous().reshape({m, s});
  Tensor out = x_in.detach().clone();
  if (m > 0 && s > 0) DEVICE_KERNEL(out, put_slices(out, offsets, values, accumulate));
  if (!autograd::needs_graph({x_in, values_in})) return out;
  // Without accumulate only the last write to a slice survives, so only it receives gradient
  // (slices either coincide or are disjoint: offsets are multiples of the slice size).
  Tensor winners;  // [M, 1] 1 / 0 in x's dtype
  if (!accumulate) {
    std::vector<double> last(static_cast<std::size_t>(m), 1.0);
    std::unordered_map<std::int64_t, std::int64_t> seen;
    const std::int64_t* op_off = host_offsets.data_ptr<std::int64_t>();
    for (std::int64_t j = m; j-- > 0;)
      if (!seen.emplace(op_off[j], j).second) last[static_cast<std::size_t>(j)] = 0.0;
    winners = from_vector<double>(last, {m, 1}, {.dtype = x_in.dtype(), .device = x_in.device()});
  }
  autograd::record(
      op, out, {x_in, values_in},
      [offsets, m, s, accumulate, target, winners, v_shape = values_in.shape()](
          const Tensor& g_in, const NeedsGrad& needs) {
        const Tensor g = g_in.contiguous();
        Tensor gx, gv;
        if (needs[0]) {
          gx = g;
          if (!accumulate) {  // overwritten elements do not reach x
            gx = g.clone();
            if (m > 0 && s > 0)
              DEVICE_KERNEL(
                  gx, put_slices(gx, offsets,
                                 zeros({m, s}, {.dtype = g.dtype(), .device = g.device()}), false));
          }
        }
        if (needs[1]) {
          gv = empty({m, s}, {.dtype = g.dtype(), .device = g.device()});
          if (m > 0 && s > 0) DEVICE_KERNEL(g, take_slices(g, offsets, gv));
          if (!accumulate) gv = mul(gv, winners.to(gv.dtype()));
          gv = sum_to(gv.reshape(target), v_shape);
        }
        return std::vector<Tensor>{gx, gv};
      });
  return out;
}

Tensor repeat_interleave(const Tensor& repeats_in) {
  ENGINE_CHECK(repeats_in.dim() <= 1 &&
                   (repeats_in.dtype() == DType::i64 || repeats_in.dtype() == DType::i32),
               "repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got ",
               repeats_in.str());
  const Tensor repeats = repeats_in.detach().to(DType::i64).contiguous().reshape({-1});
  const Tensor host = repeats.cpu();  // validated on the host
  const std::int64_t* p = host.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < host.numel(); ++i)
    ENGINE_CHECK(p[i] >= 0, "repeat_interleave: repeats must not be negative, got ", p[i], " at ",
                 i);
  return repeats.device().is_cuda() ? cuda_backend::repeat_index(repeats)
                                    : kernels::cpu::repeat_index(repeats);
}

Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<std::int64_t> dim) {
  const Tensor src = dim ? x : x.reshape({-1});
  const std::int64_t d = dim ? wrap_dim(*dim, x.dim(), "repeat_interleave") : 0;
  ENGINE_CHECK(src.dim() > 0, "repeat_interleave: needs a dim to repeat along, got ", x.str());
  Tensor r = repeats.to(src.device());
  if (r.numel() == 1 && src.size(d) != 1) r = r.reshape({1}).expand({src.size(d)});
  ENGINE_CHECK(r.dim() <= 1 && r.numel() == src.size(d), "repeat_interleave: repeats ",
               repeats.str(), " must have one entry per slice of ", src.str(), " along dim ", d);
  return index_select(src, d, repeat_interleave(r));
}

Tensor repeat_interleave(const Tensor& x, std::int64_t repeats, std::optional<std::int64_t> dim) {
  return repeat_interleave(x, full({1}, static_cast<double>(repeats), {.dtype = DType::i64}), dim);
}

}  // namespace engine
