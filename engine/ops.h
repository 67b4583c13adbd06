// The differentiable op front-ends of the engine (PyTorch names and semantics). Each checks
// its inputs, dispatches to the device's kernel and records its backward for autograd.
#pragma once

#include <optional>
#include <vector>

#include "engine/op_kinds.h"
#include "engine/tensor.h"

namespace engine {

// ---- elementwise unary (float dtypes; neg/abs/square/sign also on integers)
Tensor unary(UnaryOp op, const Tensor& x);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor square(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor sign(const Tensor& x);  // not differentiable (zero gradient, as PyTorch)
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact (erf) form, PyTorch's default
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor floor(const Tensor& x);  // not differentiable
Tensor ceil(const Tensor& x);   // not differentiable
Tensor logical_not(const Tensor& x);

// ---- elementwise binary with broadcasting; operands must share dtype and device
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double exponent);
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
// comparisons give bool tensors (not differentiable)
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// ---- reductions; an empty dims list means all dims
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
// correction 1 = unbiased (PyTorch's default), 0 = population variance
Tensor var(const Tensor& x,
           const std::vector<std::int64_t>& dims = {},
           std::int64_t correction = 1,
           bool keepdim = false);
struct ValuesIndices {
  Tensor values;
  Tensor indices;  // i64
};
ValuesIndices max(const Tensor& x, std::int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements
Tensor min(const Tensor& x);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);
// Sums a broadcast gradient back to `shape` (the reverse of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- linear algebra
Tensor matmul(const Tensor& a,
              const Tensor& b);                // torch.matmul rules (1-D, 2-D, batched broadcast)
Tensor mm(const Tensor& a, const Tensor& b);   // [m, k] @ [k, n]
Tensor bmm(const Tensor& a, const Tensor& b);  // [B, m, k] @ [B, k, n]
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});  // x @ W^T + b

// ---- softmax family
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// ---- indexing and joining
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor one_hot(const Tensor& index, std::int64_t num_classes);  // i64 [..., num_classes]
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// pads = {last_lo, last_hi, second_last_lo, second_last_hi, ...} as torch.nn.functional.pad;
// negative pads crop.
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& pads, double value = 0.0);

// ---- operators
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

// ---- checks shared by the op front-ends (messages name both operands)
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
// Ops without a CUDA kernel yet call this before their CPU kernel: a tensor on cuda gets an
// error naming the op instead of reaching host code with a device pointer.
void require_cpu(const char* op, const std::vector<Tensor>& tensors);
// Makes sure every index lies in [0, limit); throws naming the op and the bad value.
void check_index_range(const Tensor& index, std::int64_t limit, const char* op);

}  // namespace engine
