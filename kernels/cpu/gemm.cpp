// GEMM through cblas (OpenBLAS): the one place the CPU backend hands work to a library,
// because a tuned BLAS is what every framework's CPU path uses for matrix products.
#include "kernels/cpu/gemm.h"

#include <cblas.h>

#include "engine/error.h"

namespace kernels::cpu {

void gemm(std::int64_t m,
          std::int64_t n,
          std::int64_t k,
          double alpha,
          const MatrixRef& a,
          const MatrixRef& b,
          double beta,
          const engine::Tensor& c,
          std::int64_t c_offset,
          std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  const auto ta = a.transposed ? CblasTrans : CblasNoTrans;
  const auto tb = b.transposed ? CblasTrans : CblasNoTrans;
  // BLAS wants ld >= 1 even for empty or single-column matrices.
  const auto lda = static_cast<blasint>(std::max<std::int64_t>(a.ld, 1));
  const auto ldb = static_cast<blasint>(std::max<std::int64_t>(b.ld, 1));
  const auto ldc_ = static_cast<blasint>(std::max<std::int64_t>(ldc, 1));
  switch (c.dtype()) {
    case engine::DType::f32:
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, static_cast<float>(alpha),
                  a.tensor->data_ptr<float>() + a.offset, lda,
                  b.tensor->data_ptr<float>() + b.offset, ldb, static_cast<float>(beta),
                  c.data_ptr<float>() + c_offset, ldc_);
      return;
    case engine::DType::f64:
      cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a.tensor->data_ptr<double>() + a.offset,
                  lda, b.tensor->data_ptr<double>() + b.offset, ldb, beta,
                  c.data_ptr<double>() + c_offset, ldc_);
      return;
    default:
      ENGINE_FAIL("matmul: dtype ", engine::dtype_name(c.dtype()),
                  " is not supported (expected f32 or f64)");
  }
}

}  // namespace kernels::cpu
