// View ops: new shape/strides/offset over the same storage, each differentiable (its
// backward maps the gradient back to the input's geometry).
#include <algorithm>
#include <numeric>

#include "engine/autograd.h"
#include "engine/ops.h"

namespace engine {

namespace {

using autograd::NeedsGrad;

// Attaches the backward of a view: grad_input = to_input(grad_view).
template <typename F>
Tensor record_view(const char* name, Tensor view, const Tensor& input, F to_input) {
  autograd::record(name, view, {input}, [to_input](const Tensor& g, const NeedsGrad&) {
    return std::vector<Tensor>{to_input(g)};
  });
  return view;
}

Shape infer_shape(Shape shape, std::int64_t count, const Tensor& x, const char* op) {
  std::int64_t known = 1, infer_at = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      ENGINE_CHECK(infer_at < 0, op, ": only one dim can be -1 in ", shape_str(shape));
      infer_at = static_cast<std::int64_t>(i);
    } else {
      ENGINE_CHECK(shape[i] >= 0, op, ": bad size ", shape[i], " in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    ENGINE_CHECK(known != 0 && count % known == 0, op, ": cannot infer -1 in ", shape_str(shape),
                 " for ", x.str());
    shape[infer_at] = count / known;
  }
  ENGINE_CHECK(numel(shape) == count, op, ": shape ", shape_str(shape), " is invalid for ", x.str(),
               " (", count, " elements)");
  return shape;
}

// Strides that view x with `shape` without copying, if any (PyTorch's computeStride idea: each
// run of merged dims of x must be contiguous within itself).
std::optional<Shape> view_strides(const Tensor& x, const Shape& shape) {
  if (x.numel() == 0 || x.dim() == 0) return contiguous_strides(shape);
  Shape out(shape.size());
  std::int64_t view_d = static_cast<std::int64_t>(shape.size()) - 1;
  std::int64_t chunk = 1, base_stride = x.strides().back();
  for (std::int64_t d = x.dim() - 1; d >= 0; --d) {
    chunk *= x.size(d);
    const bool run_ends = d == 0 || (x.size(d - 1) != 1 && x.stride(d - 1) != chunk * base_stride);
    if (!run_ends) continue;
    std::int64_t covered = 1;
    while (view_d >= 0 && (covered < chunk || shape[view_d] == 1)) {
      out[view_d] = covered * base_stride;
      covered *= shape[view_d];
      --view_d;
    }
    if (covered != chunk) return std::nullopt;
    if (d > 0) {
      chunk = 1;
      base_stride = x.stride(d - 1);
    }
  }
  while (view_d >= 0) out[view_d--] = 1;
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), *this, "view");
  const auto strides = view_strides(*this, shape);
  ENGINE_CHECK(strides.has_value(), "view: ", str(), " (strides ", shape_str(this->strides()),
               ") cannot be viewed as ", shape_str(shape), " without a copy; use reshape()");
  const Shape input_shape = this->shape();
  return record_view("view", make_view(*this, shape, *strides, offset()), *this,
                     [input_shape](const Tensor& g) { return g.reshape(input_shape); });
}

Tensor Tensor::reshape(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), *this, "reshape");
  if (view_strides(*this, shape)) return view(shape);
  return clone().view(shape);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& dims) const {
  ENGINE_CHECK(static_cast<std::int64_t>(dims.size()) == dim(), "permute: ", dims.size(),
               " dims given for ", str());
  Shape shape(dim()), strides(dim());
  std::vector<std::int64_t> inverse(dim(), -1);
  for (std::int64_t i = 0; i < dim(); ++i) {
    const std::int64_t d = wrap_dim(dims[i], dim(), "permute");
    ENGINE_CHECK(inverse[d] < 0, "permute: dim ", d, " repeated");
    inverse[d] = i;
    shape[i] = size(d);
    strides[i] = stride(d);
  }
  return record_view("permute", make_view(*this, shape, strides, offset()), *this,
                     [inverse](const Tensor& g) { return g.permute(inverse); });
}

Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
  std::vector<std::int64_t> dims(dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, dim(), "transpose")], dims[wrap_dim(dim1, dim(), "transpose")]);
  return permute(dims);
}

Tensor Tensor::slice(std::int64_t d,
                     std::int64_t start,
                     std::int64_t end,
                     std::int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  ENGINE_CHECK(step > 0, "slice: step must be positive, got ", step);
  const std::int64_t n = size(d);
  auto clamp_index = [n](std::int64_t i) {
    return std::clamp(i < 0 ? i + n : i, std::int64_t{0}, n);
  };
  start = clamp_index(start);
  end = std::max(clamp_index(end), start);
  Shape shape = this->shape(), strides = this->strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  const Shape input_shape = this->shape();
  return record_view("slice", make_view(*this, shape, strides, offset() + start * stride(d)), *this,
                     [=](const Tensor& g) {
                       Tensor grad = zeros(input_shape, {.dtype = g.dtype(), .device = g.device()});
                       grad.slice(d, start, end, step).copy_(g);
                       return grad;
                     });
}

Tensor Tensor::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
  d = wrap_dim(d, dim(), "narrow");
  if (start < 0) start += size(d);
  ENGINE_CHECK(start >= 0 && length >= 0 && start + length <= size(d), "narrow: range [", start,
               ", ", start + length, ") is outside dim ", d, " of ", str());
  return slice(d, start, start + length);
}

Tensor Tensor::select(std::int64_t d, std::int64_t index) const {
  d = wrap_dim(d, dim(), "select");
  ENGINE_CHECK(index >= -size(d) && index < size(d), "select: index ", index,
               " out of range for dim ", d, " of ", str());
  if (index < 0) index += size(d);
  return narrow(d, index, 1).squeeze(d);
}

Tensor Tensor::expand(const Shape& requested) const {
  ENGINE_CHECK(static_cast<std::int64_t>(requested.size()) >= dim(),
               "expand: ", shape_str(requested), " has fewer dims than ", str());
  const std::size_t lead = requested.size() - shape().size();
  Shape shape(requested.size()), strides(requested.size(), 0);
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const std::int64_t own = i < lead ? 1 : this->shape()[i - lead];
    const std::int64_t want = requested[i] == -1 ? own : requested[i];
    ENGINE_CHECK(i >= lead || requested[i] != -1,
                 "expand: -1 is not allowed for a new leading dim");
    ENGINE_CHECK(own == want || own == 1, "expand: ", str(), " cannot be expanded to ",
                 shape_str(requested));
    shape[i] = want;
    if (i >= lead && own == want) strides[i] = this->strides()[i - lead];
  }
  const Shape input_shape = this->shape();
  return record_view("expand", make_view(*this, shape, strides, offset()), *this,
                     [input_shape](const Tensor& g) { return sum_to(g, input_shape); });
}

Tensor Tensor::squeeze(std::int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (size(d) != 1) return *this;
  Shape shape = this->shape();
  shape.erase(shape.begin() + d);
  return view(shape);
}

Tensor Tensor::squeeze() const {
  Shape shape;
  for (auto s : this->shape())
    if (s != 1) shape.push_back(s);
  return view(shape);
}

Tensor Tensor::unsqueeze(std::int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape shape = this->shape();
  shape.insert(shape.begin() + d, 1);
  return view(shape);
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  start_dim = wrap_dim(start_dim, dim(), "flatten");
  end_dim = wrap_dim(end_dim, dim(), "flatten");
  ENGINE_CHECK(start_dim <= end_dim, "flatten: start_dim ", start_dim, " after end_dim ", end_dim);
  Shape shape(this->shape().begin(), this->shape().begin() + start_dim);
  std::int64_t merged = 1;
  for (std::int64_t d = start_dim; d <= end_dim; ++d) merged *= size(d);
  shape.push_back(merged);
  shape.insert(shape.end(), this->shape().begin() + end_dim + 1, this->shape().end());
  return reshape(shape);
}

}  // namespace engine
