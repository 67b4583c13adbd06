// GEMM through cblas (OpenBLAS), or for f32 on an AVX-512 CPU through our own packed kernel
// (OpenBLAS runs AVX2 kernels here); DREAMBOX_GEMM=blas forces OpenBLAS for every product.
#include "kernels/cpu/gemm.h"

#include <cblas.h>

#include <cstdlib>
#include <string>

#include "engine/error.h"
#include "kernels/cpu/sgemm_avx512.h"

namespace kernels::cpu {

namespace {

// Thin products (a side under this) stay with OpenBLAS: its GEMV-like paths suit them better than
// our 6 x 64 register tile.
constexpr std::int64_t kOwnKernelMinSide = 16;

bool own_sgemm_enabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("DREAMBOX_GEMM");
    const std::string choice = env == nullptr ? "auto" : env;
    ENGINE_CHECK(
        choice == "auto" || choice == "blas",
        "environment variable DREAMBOX_GEMM must be 'auto' (our AVX-512 f32 kernel when the "
        "CPU has AVX-512, else OpenBLAS) or 'blas' (always OpenBLAS), got '",
        choice, "'");
    return choice == "auto" && sgemm_avx512_available();
  }();
  return enabled;
}

}  // namespace

bool gemm_uses_own_kernel(std::int64_t m, std::int64_t n) {
  return own_sgemm_enabled() && m >= kOwnKernelMinSide && n >= kOwnKernelMinSide;
}

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
      if (gemm_uses_own_kernel(m, n)) {
        sgemm_avx512(a.transposed, b.transposed, m, n, k, static_cast<float>(alpha),
                     a.tensor->data_ptr<float>() + a.offset, a.ld,
                     b.tensor->data_ptr<float>() + b.offset, b.ld, static_cast<float>(beta),
                     c.data_ptr<float>() + c_offset, ldc);
        return;
      }
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
