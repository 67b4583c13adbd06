// Tensor metadata, data access, copies (also between devices), in-place fills and the creation
// functions. Views are in views.cpp; arithmetic is in the op files (ops.h).
#include "engine/tensor.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/dispatch.h"
#include "engine/half.h"
#include "kernels/cpu/elementwise.h"

namespace engine {

namespace {
// dst = src (converted, broadcast to dst's shape); both on dst's device.
void copy_kernel(const Tensor& src, const Tensor& dst) {
  if (dst.device().is_cuda())
    cuda_backend::copy(src, dst);
  else
    kernels::cpu::copy(src, dst);
}
void fill_kernel(const Tensor& dst, double value) {
  if (dst.device().is_cuda())
    cuda_backend::fill(dst, value);
  else
    kernels::cpu::fill(dst, value);
}
}  // namespace

TensorImpl& Tensor::impl() const {
  ENGINE_CHECK(impl_ != nullptr, "use of an undefined Tensor (default-constructed or moved from)");
  return *impl_;
}

std::int64_t Tensor::size(std::int64_t d) const {
  return shape()[wrap_dim(d, dim(), "size")];
}
std::int64_t Tensor::stride(std::int64_t d) const {
  return strides()[wrap_dim(d, dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::int64_t d = dim() - 1; d >= 0; --d) {
    if (shape()[d] == 1) continue;
    if (strides()[d] != expected) return false;
    expected *= shape()[d];
  }
  return true;
}

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  return "Tensor" + shape_str(shape()) + " " + dtype_name(dtype()) + " " + device().str();
}

void* Tensor::raw_data() const {
  ENGINE_CHECK(device().is_cpu(), "reading data of ", str(),
               " on the host; call .to(Device::cpu()) first");
  return static_cast<char*>(impl().storage->data()) +
         offset() * static_cast<std::int64_t>(dtype_size(dtype()));
}

void* Tensor::cuda_data() const {
  ENGINE_CHECK(device().is_cuda(), "cuda_data() of ", str(),
               ": the tensor is not on a cuda device");
  return static_cast<char*>(impl().storage->data()) +
         offset() * static_cast<std::int64_t>(dtype_size(dtype()));
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  ENGINE_CHECK(dtype() == dtype_of<T>, "to_vector<", dtype_name(dtype_of<T>), ">() called on ",
               str());
  if (device().is_cuda()) return to(Device::cpu()).to_vector<T>();
  const Tensor c = contiguous();
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int32_t> Tensor::to_vector<std::int32_t>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
template std::vector<std::uint8_t> Tensor::to_vector<std::uint8_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

double Tensor::item() const {
  ENGINE_CHECK(numel() == 1, "item(): expected a single-element tensor, got ", str());
  const Tensor host = device().is_cuda() ? detach().to(Device::cpu()) : *this;
  const Tensor as_double = host.to(DType::f64);
  return *as_double.data_ptr<double>();
}

// ---- copies

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), {.dtype = dtype(), .device = device()});
  copy_kernel(*this, out);
  autograd::record("clone", out, {*this}, [](const Tensor& g, const autograd::NeedsGrad&) {
    return std::vector<Tensor>{g};
  });
  return out;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = empty(shape(), {.dtype = target, .device = device()});
  copy_kernel(*this, out);
  if (is_floating(dtype()) && is_floating(target)) {
    const DType source = dtype();
    autograd::record("to_dtype", out, {*this},
                     [source](const Tensor& g, const autograd::NeedsGrad&) {
                       return std::vector<Tensor>{g.to(source)};
                     });
  }
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  ENGINE_CHECK(target.is_cpu() || device().is_cpu(), "cannot move ", str(), " to ", target.str(),
               ": copies between cuda devices are not supported");
  const Tensor source = detach().contiguous();  // packed from element [0, ..., 0]
  Tensor out = empty(shape(), {.dtype = dtype(), .device = target});
  const auto bytes = static_cast<std::size_t>(numel()) * dtype_size(dtype());
  if (target.is_cuda())
    cuda_backend::copy_to_device(out.cuda_data(), source.raw_data(), bytes);
  else
    cuda_backend::copy_to_host(out.raw_data(), source.cuda_data(), bytes);
  autograd::record("to_device", out, {*this},
                   [from = device()](const Tensor& g, const autograd::NeedsGrad&) {
                     return std::vector<Tensor>{g.to(from)};
                   });
  return out;
}

// ---- in-place

namespace {
void check_inplace(const Tensor& t, const char* op) {
  ENGINE_CHECK(!(autograd::grad_enabled() && t.requires_grad()), op, " on ", t.str(),
               " which requires grad: in-place changes would corrupt its gradient; use an "
               "out-of-place op, or wrap the update in NoGradGuard (as optimizers do)");
}
}  // namespace

const Tensor& Tensor::copy_(const Tensor& src) const {
  check_inplace(*this, "copy_");
  ENGINE_CHECK(broadcast_shapes(src.shape(), shape(), "copy_") == shape(), "copy_: source ",
               src.str(), " cannot be broadcast to the destination ", str());
  copy_kernel(src.device() == device() ? src : src.detach().to(device()), *this);
  return *this;
}

const Tensor& Tensor::fill_(double value) const {
  check_inplace(*this, "fill_");
  fill_kernel(*this, value);
  return *this;
}

// ---- autograd accessors

Tensor& Tensor::requires_grad_(bool value) {
  ENGINE_CHECK(is_leaf(), "requires_grad_(): only leaf tensors can change requires_grad; ", str(),
               " is the result of an op (detach() it first)");
  ENGINE_CHECK(!value || is_floating(dtype()),
               "requires_grad_(): only floating tensors can require "
               "grad, got ",
               str());
  impl().requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const {
  return impl().grad ? Tensor(impl().grad) : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
  ENGINE_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad: gradient ", grad.str(),
               " does not match ", str());
  impl().grad = grad.defined() ? grad.impl_ptr() : nullptr;
}

void Tensor::zero_grad() const {
  impl().grad = nullptr;
}

Tensor Tensor::detach() const {
  auto impl_copy = std::make_shared<TensorImpl>();
  impl_copy->storage = impl().storage;
  impl_copy->shape = shape();
  impl_copy->strides = strides();
  impl_copy->offset = offset();
  impl_copy->dtype = dtype();
  return Tensor(std::move(impl_copy));
}

void Tensor::backward(const Tensor& grad_output) const {
  autograd::run_backward(*this, grad_output);
}

// ---- creation

Tensor make_view(const Tensor& base,
                 const Shape& shape,
                 const Shape& strides,
                 std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

Tensor empty(const Shape& shape, TensorOptions options) {
  for (auto s : shape) ENGINE_CHECK(s >= 0, "empty: negative size in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(numel(shape) * dtype_size(options.dtype), options.device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = options.dtype;
  Tensor t(std::move(impl));
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

Tensor full(const Shape& shape, double value, TensorOptions options) {
  const bool requires_grad = options.requires_grad;
  options.requires_grad = false;
  Tensor t = empty(shape, options);
  fill_kernel(t, value);
  if (requires_grad) t.requires_grad_(true);
  return t;
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  return full(shape, 0.0, options);
}
Tensor ones(const Shape& shape, TensorOptions options) {
  return full(shape, 1.0, options);
}
Tensor scalar_tensor(double value, TensorOptions options) {
  return full({}, value, options);
}
Tensor zeros_like(const Tensor& like) {
  return zeros(like.shape(), {.dtype = like.dtype(), .device = like.device()});
}
Tensor ones_like(const Tensor& like) {
  return ones(like.shape(), {.dtype = like.dtype(), .device = like.device()});
}
Tensor empty_like(const Tensor& like) {
  return empty(like.shape(), {.dtype = like.dtype(), .device = like.device()});
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  ENGINE_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
               "arange: need finite start/end and a non-zero step, got ", start, ", ", end, ", ",
               step);
  const auto n = static_cast<std::int64_t>(std::max(0.0, std::ceil((end - start) / step)));
  Tensor t = empty({n}, options);
  dispatch_number(options.dtype, "arange", [](auto) {});  // the dtypes both devices take
  if (options.device.is_cuda()) {  // on the device: no host copy (a CUDA graph can hold it)
    cuda_backend::arange_into(start, step, t);
    return t;
  }
  dispatch_number(options.dtype, "arange", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    for (std::int64_t i = 0; i < n; ++i)
      p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor arange(std::int64_t end, TensorOptions options) {
  return arange(0.0, static_cast<double>(end), 1.0, options);
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions options) {
  ENGINE_CHECK(static_cast<std::int64_t>(values.size()) == numel(shape),
               "from_vector: ", values.size(), " values do not fill shape ", shape_str(shape), " (",
               numel(shape), " elements)");
  const bool requires_grad = options.requires_grad;
  options.requires_grad = false;
  Tensor host = empty(shape, {.dtype = dtype_of<T>});
  T* p = host.data_ptr<T>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  Tensor t = host.to(options.dtype).to(options.device);
  if (requires_grad) t.requires_grad_(true);
  return t;
}
template Tensor from_vector(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor from_vector(const std::vector<double>&, const Shape&, TensorOptions);
template Tensor from_vector(const std::vector<std::int32_t>&, const Shape&, TensorOptions);
template Tensor from_vector(const std::vector<std::int64_t>&, const Shape&, TensorOptions);
template Tensor from_vector(const std::vector<std::uint8_t>&, const Shape&, TensorOptions);
template Tensor from_vector(const std::vector<bool>&, const Shape&, TensorOptions);

}  // namespace engine
