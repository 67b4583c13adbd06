// CPU matrix multiply (OpenBLAS, or our AVX-512 kernel for f32): C = alpha * op(A) @ op(B) + beta *
// C for f32/f64 row-major matrices given by pointer and leading dimension, and a batched form.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace kernels::cpu {

struct MatrixRef {
  const engine::Tensor* tensor;  // dtype and base pointer (element [0, ..., 0])
  std::int64_t offset;           // elements from the base to this matrix
  std::int64_t ld;               // leading dimension (row stride of the stored layout)
  bool transposed;               // stored as op^T (column-major view of a row-major matrix)
};

// C[m, n] (row-major, leading dim ldc, at c_offset in c) = alpha * A[m, k] @ B[k, n] + beta * C.
void gemm(std::int64_t m,
          std::int64_t n,
          std::int64_t k,
          double alpha,
          const MatrixRef& a,
          const MatrixRef& b,
          double beta,
          const engine::Tensor& c,
          std::int64_t c_offset,
          std::int64_t ldc);

// Whether an f32 product of this output shape runs our AVX-512 kernel (kernels/cpu/sgemm_avx512.h)
// rather than OpenBLAS: AVX-512 CPU, DREAMBOX_GEMM unset or 'auto', and both sides >= 16.
bool gemm_uses_own_kernel(std::int64_t m, std::int64_t n);

}  // namespace kernels::cpu
