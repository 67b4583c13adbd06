// Joining and padding: cat, stack and pad, written as copies into views of a new tensor (one
// kernel per input for f32 on cuda); the backward of each slices the gradient back out.
#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"

namespace engine {

using autograd::NeedsGrad;

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  ENGINE_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  const Tensor& first = tensors.front();
  ENGINE_CHECK(first.dim() > 0,
               "cat: zero-dim tensors cannot be concatenated; unsqueeze them first");
  dim = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[dim] = 0;
  for (const auto& t : tensors) {
    check_same_dtype(first, t, "cat");
    check_same_device(first, t, "cat");
    ENGINE_CHECK(t.dim() == first.dim(), "cat: ", t.str(), " and ", first.str(), " differ in rank");
    for (std::int64_t d = 0; d < t.dim(); ++d)
      ENGINE_CHECK(d == dim || t.size(d) == first.size(d), "cat: ", t.str(), " and ", first.str(),
                   " differ in dim ", d, " (only dim ", dim, " may differ)");
    shape[dim] += t.size(dim);
  }
  Tensor out = empty(shape, {.dtype = first.dtype(), .device = first.device()});
  const bool cuda_f32 = out.device().is_cuda() && out.dtype() == DType::f32;
  std::vector<std::int64_t> starts, lengths;
  std::int64_t start = 0;
  {
    autograd::NoGradGuard no_grad;
    for (const auto& t : tensors) {
      starts.push_back(start);
      lengths.push_back(t.size(dim));
      if (cuda_f32)
        cuda_backend::cat_slice(t.contiguous(), dim, start, out);
      else
        out.narrow(dim, start, t.size(dim)).copy_(t);
      start += t.size(dim);
    }
  }
  autograd::record("cat", out, tensors,
                   [dim, starts, lengths](const Tensor& g, const NeedsGrad& needs) {
                     std::vector<Tensor> grads(needs.size());
                     for (std::size_t i = 0; i < needs.size(); ++i)
                       if (needs[i]) grads[i] = g.narrow(dim, starts[i], lengths[i]);
                     return grads;
                   });
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  ENGINE_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  dim = wrap_dim(dim, tensors.front().dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (const auto& t : tensors) {
    ENGINE_CHECK(t.shape() == tensors.front().shape(), "stack: ", t.str(), " and ",
                 tensors.front().str(), " differ in shape");
    expanded.push_back(t.unsqueeze(dim));
  }
  return cat(expanded, dim);
}

Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value) {
  ENGINE_CHECK(pads.size() % 2 == 0 && static_cast<std::int64_t>(pads.size()) / 2 <= x.dim(),
               "pad: expected pairs of pads for at most ", x.dim(), " dims, got ", pads.size(),
               " values");
  Shape shape = x.shape();
  Tensor src = x;  // the part of x that survives (negative pads crop)
  std::vector<std::int64_t> dst_start(x.dim(), 0), before(x.dim(), 0);
  for (std::size_t i = 0; i < pads.size() / 2; ++i) {
    const std::int64_t d = x.dim() - 1 - static_cast<std::int64_t>(i);
    const std::int64_t lo = pads[2 * i], hi = pads[2 * i + 1];
    shape[d] += lo + hi;
    ENGINE_CHECK(shape[d] >= 0, "pad: pads ", lo, ", ", hi, " leave a negative size in dim ", d,
                 " of ", x.str());
    const std::int64_t crop_lo = std::max<std::int64_t>(-lo, 0),
                       crop_hi = std::max<std::int64_t>(-hi, 0);
    src = src.narrow(d, std::min(crop_lo, x.size(d)),
                     std::max<std::int64_t>(x.size(d) - crop_lo - crop_hi, 0));
    dst_start[d] = std::max<std::int64_t>(lo, 0);
    before[d] = lo;
  }
  Tensor out;
  if (x.device().is_cuda() && x.dtype() == DType::f32 && x.dim() > 0) {
    out = empty(shape, {.device = x.device()});
    autograd::NoGradGuard no_grad;
    cuda_backend::constant_pad(x.contiguous(), before, value, out);
  } else {
    out = full(shape, value, {.dtype = x.dtype(), .device = x.device()});
    Tensor window = out;
    for (std::int64_t d = 0; d < x.dim(); ++d) window = window.narrow(d, dst_start[d], src.size(d));
    autograd::NoGradGuard no_grad;
    window.copy_(src);
  }
  autograd::record("pad", out, {src},
                   [dst_start, src_shape = src.shape()](const Tensor& g, const NeedsGrad&) {
                     Tensor part = g;
                     for (std::size_t d = 0; d < src_shape.size(); ++d)
                       part = part.narrow(static_cast<std::int64_t>(d), dst_start[d], src_shape[d]);
                     return std::vector<Tensor>{part};
                   });
  return out;
}

}  // namespace engine
