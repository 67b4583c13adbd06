// Matrix products: mm, bmm, matmul (torch.matmul's rank rules) and linear. Operands that are
// transposed views go to BLAS as transposed, without a copy; backward is two more products.
#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "kernels/cpu/gemm.h"

namespace engine {

using autograd::NeedsGrad;

namespace {

// How a 2-D matrix (the last two dims of t) is handed to BLAS: row-major as is, row-major of
// its transpose, or (any other strides) after a copy.
kernels::cpu::MatrixRef matrix_ref(const Tensor& t, std::int64_t offset) {
  const std::int64_t rows = t.size(-2), cols = t.size(-1), rs = t.stride(-2), cs = t.stride(-1);
  if (cs == 1 && (rs >= std::max<std::int64_t>(cols, 1) || rows == 1))
    return {&t, offset, rows == 1 ? std::max<std::int64_t>(cols, 1) : rs, false};
  if (rs == 1 && (cs >= std::max<std::int64_t>(rows, 1) || cols == 1))
    return {&t, offset, cols == 1 ? std::max<std::int64_t>(rows, 1) : cs, true};
  return {nullptr, 0, 0, false};
}

bool blas_ready(const Tensor& t) {
  if (t.dim() < 2) return false;
  return matrix_ref(t, 0).tensor != nullptr;
}

// out[b] = a[b] @ w[b] for 3-D a [B, m, k], w [B, k, n]; out contiguous [B, m, n].
void batched_gemm(const Tensor& a_in, const Tensor& b_in, const Tensor& out) {
  const Tensor a = blas_ready(a_in) ? a_in : a_in.contiguous();
  const Tensor b = blas_ready(b_in) ? b_in : b_in.contiguous();
  const std::int64_t batch = out.size(0), m = out.size(1), n = out.size(2), k = a.size(2);
  for (std::int64_t i = 0; i < batch; ++i) {
    const auto ra = matrix_ref(a, i * a.stride(0));
    const auto rb = matrix_ref(b, i * b.stride(0));
    if (out.device().is_cuda())
      cuda_backend::gemm(m, n, k, ra, rb, out, i * m * n, n);
    else
      kernels::cpu::gemm(m, n, k, 1.0, ra, rb, 0.0, out, i * m * n, n);
  }
}

void check_matmul_operands(const Tensor& a, const Tensor& b, const char* op) {
  check_same_dtype(a, b, op);
  check_same_device(a, b, op);
  ENGINE_CHECK(is_floating(a.dtype()), op, ": needs floating tensors, got ", a.str(), " and ",
               b.str());
}

}  // namespace

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_matmul_operands(a, b, "bmm");
  ENGINE_CHECK(a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0) && a.size(2) == b.size(1),
               "bmm: expected [B, m, k] @ [B, k, n], got ", a.str(), " and ", b.str());
  Tensor out = empty({a.size(0), a.size(1), b.size(2)}, {.dtype = a.dtype(), .device = a.device()});
  if (a.size(2) == 0)
    out.zero_();
  else
    batched_gemm(a, b, out);
  autograd::record("bmm", out, {a, b},
                   [a = a.detach(), b = b.detach()](const Tensor& g, const NeedsGrad& needs) {
                     return std::vector<Tensor>{needs[0] ? bmm(g, b.transpose(1, 2)) : Tensor(),
                                                needs[1] ? bmm(a.transpose(1, 2), g) : Tensor()};
                   });
  return out;
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_matmul_operands(a, b, "mm");
  ENGINE_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(0),
               "mm: expected [m, k] @ [k, n], got ", a.str(), " and ", b.str());
  return bmm(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matmul_operands(a, b, "matmul");
  ENGINE_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least one dim, got ",
               a.str(), " and ", b.str());
  // 1-D operands become matrices and the added dim is removed afterwards (torch.matmul).
  const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
  ENGINE_CHECK(a2.size(-1) == b2.size(-2), "matmul: inner dims differ: ", a.str(), " @ ", b.str());
  const std::int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
  const Shape a_batch(a2.shape().begin(), a2.shape().end() - 2);
  const Shape b_batch(b2.shape().begin(), b2.shape().end() - 2);
  const Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape a_full = batch, b_full = batch, out_shape = batch;
  a_full.insert(a_full.end(), {m, k});
  b_full.insert(b_full.end(), {k, n});
  out_shape.insert(out_shape.end(), {m, n});
  // Explicit sizes, not -1: with an empty m, k or n the leading count could not be inferred.
  const std::int64_t batches = numel(batch);
  Tensor out;
  if (b_batch.empty() && !a_batch.empty() && a2.is_contiguous()) {
    // [..., m, k] @ [k, n]: one big GEMM over the flattened leading dims.
    out = mm(a2.reshape({batches * m, k}), b2).reshape(out_shape);
  } else {
    const Tensor a3 = a2.expand(a_full).reshape({batches, m, k});
    const Tensor b3 = b2.expand(b_full).reshape({batches, k, n});
    out = bmm(a3, b3).reshape(out_shape);
  }
  if (a.dim() == 1) out = out.squeeze(-2);
  if (b.dim() == 1) out = out.squeeze(-1);
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  ENGINE_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1), "linear: input ",
               x.str(), " does not match weight ", weight.str(),
               " (expected [..., in] and [out, in])");
  Tensor y = matmul(x, weight.t());
  if (bias.defined()) {
    ENGINE_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0), "linear: bias ", bias.str(),
                 " does not match weight ", weight.str());
    y = add(y, bias);
  }
  return y;
}

}  // namespace engine
