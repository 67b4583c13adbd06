// Tensor: a ref-counted handle to (storage, shape, strides, offset, dtype) plus autograd state.
// Copies of a Tensor share everything (like PyTorch); views share storage; ops live in ops.h.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "engine/device.h"
#include "engine/dtype.h"
#include "engine/error.h"
#include "engine/shape.h"
#include "engine/storage.h"

namespace engine {

namespace autograd {
struct Node;
}

struct TensorOptions {
  DType dtype = DType::f32;
  Device device = Device::cpu();
  bool requires_grad = false;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  std::int64_t offset = 0;
  DType dtype = DType::f32;
  // Autograd: a leaf that requires grad has requires_grad set and gets an accumulator node;
  // the result of a differentiable op on such tensors has grad_fn set instead.
  bool requires_grad = false;
  std::shared_ptr<autograd::Node> grad_fn;
  std::shared_ptr<autograd::Node> grad_accumulator;
  std::shared_ptr<TensorImpl> grad;
};

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (defined() == false)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  std::int64_t size(std::int64_t dim) const;  // negative dims count from the end
  std::int64_t stride(std::int64_t dim) const;
  std::int64_t numel() const { return engine::numel(impl().shape); }
  std::int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_contiguous() const;
  std::string str() const;  // "Tensor[2, 3] f32 cpu" for messages
  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- data access (CPU); data_ptr checks the dtype and points at element [0, ..., 0].
  // to_vector and item also read cuda tensors (a copy to the host, which waits for the device).
  template <typename T>
  T* data_ptr() const {
    ENGINE_CHECK(dtype() == dtype_of<T>, "data_ptr<", dtype_name(dtype_of<T>),
                 ">() called on a tensor of dtype ", dtype_name(dtype()));
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;
  void* cuda_data() const;  // device pointer of element [0, ..., 0]; checks the tensor is on cuda
  template <typename T>
  std::vector<T> to_vector() const;  // contiguous copy in row-major order; checks dtype
  double item() const;               // single-element tensor to double, any dtype

  // ---- views (share storage; differentiable)
  Tensor view(const Shape& shape) const;     // needs compatible strides; -1 infers one dim
  Tensor reshape(const Shape& shape) const;  // view when possible, copy otherwise
  Tensor permute(const std::vector<std::int64_t>& dims) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;  // removes dim
  Tensor expand(const Shape& shape) const;                    // -1 keeps a dim
  Tensor squeeze(std::int64_t dim) const;
  Tensor squeeze() const;  // all size-1 dims
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;

  // ---- copies
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;       // always a new contiguous copy (differentiable)
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;  // non-contiguous sources are made contiguous first
  Tensor cuda() const { return to(Device::cuda()); }
  Tensor cpu() const { return to(Device::cpu()); }

  // ---- in-place (refused on tensors that require grad while grad mode is on). Const like
  // PyTorch's: a Tensor is a handle, the data it points at is what changes.
  const Tensor& copy_(const Tensor& src) const;  // src broadcast to this shape, any dtype/device
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const { return fill_(0.0); }

  // ---- autograd
  bool requires_grad() const { return impl().requires_grad || impl().grad_fn != nullptr; }
  Tensor& requires_grad_(bool value = true);  // only on leaves
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor grad() const;  // undefined until a backward reached this leaf
  void set_grad(const Tensor& grad) const;
  void zero_grad() const;  // drops .grad (as PyTorch's set_to_none)
  Tensor detach() const;   // same storage, no autograd history
  void backward(const Tensor& grad_output = {}) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// ---- creation
Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor scalar_tensor(double value, TensorOptions options = {});  // 0-d tensor
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
Tensor arange(std::int64_t end, TensorOptions options = {.dtype = DType::i64});
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor empty_like(const Tensor& like);  // contiguous, same dtype/device
// The dtype defaults to the element type (as torch.tensor infers it).
template <typename T>
Tensor from_vector(const std::vector<T>& values,
                   const Shape& shape,
                   TensorOptions options = TensorOptions{.dtype = dtype_of<T>});
template <typename T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, {static_cast<std::int64_t>(values.size())});
}

// A view with explicit geometry over the same storage (no autograd; used by kernels and views).
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset);

}  // namespace engine
