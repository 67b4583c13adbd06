// kernels/cuda/gemm.cu (tiled SGEMM) in emulation against the CPU oracle (kernels::cpu::gemm,
// OpenBLAS): odd shapes across tile edges, all transposes, padded leading dims, alpha/beta.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/gemm.h"
#include "tests/simt/device_buffer.h"

namespace {

using simt_test::DeviceBuffer;

struct Case {
  std::int64_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
  std::int64_t pad;  // extra columns in every leading dimension
};

void check(const Case& c, std::uint32_t seed) {
  // op(A) is [m, k]: stored [m, k] or (transposed) [k, m]; likewise op(B) [k, n].
  const std::int64_t a_rows = c.trans_a ? c.k : c.m, a_cols = c.trans_a ? c.m : c.k;
  const std::int64_t b_rows = c.trans_b ? c.n : c.k, b_cols = c.trans_b ? c.k : c.n;
  const std::int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  const std::vector<float> a = simt_test::random_floats(static_cast<std::size_t>(a_rows * lda) + 1, seed);
  const std::vector<float> b = simt_test::random_floats(static_cast<std::size_t>(b_rows * ldb) + 1, seed + 1);
  std::vector<float> c0 = simt_test::random_floats(static_cast<std::size_t>(c.m * ldc), seed + 2);
  if (c.beta == 0.0f) c0.assign(c0.size(), NAN);  // beta == 0 must not read C

  DeviceBuffer<float> da(a), db(b), dc(c0);
  kernels::cuda::gemm_f32(c.m, c.n, c.k, c.alpha, da.get(), lda, c.trans_a, db.get(), ldb, c.trans_b, c.beta,
                          dc.get(), ldc, nullptr);
  const std::vector<float> got = dc.download();

  const engine::Tensor ta = engine::from_vector(a), tb = engine::from_vector(b), tc = engine::from_vector(c0);
  kernels::cpu::gemm(c.m, c.n, c.k, c.alpha, {&ta, 0, lda, c.trans_a}, {&tb, 0, ldb, c.trans_b}, c.beta, tc, 0, ldc);
  const std::vector<float> want = tc.to_vector<float>();

  const auto at = [&](std::int64_t i, std::int64_t p) { return c.trans_a ? a[p * lda + i] : a[i * lda + p]; };
  const auto bt = [&](std::int64_t p, std::int64_t j) { return c.trans_b ? b[j * ldb + p] : b[p * ldb + j]; };
  for (std::int64_t i = 0; i < c.m; ++i)
    for (std::int64_t j = 0; j < ldc; ++j) {
      const std::int64_t e = i * ldc + j;
      if (j >= c.n) {  // padding columns of C are never touched
        ASSERT_TRUE(std::isnan(got[e]) ? std::isnan(c0[e]) : got[e] == c0[e]) << "padding written at " << i << "," << j;
        continue;
      }
      double magnitude = 0;  // f32 dot products: error <= k * eps * sum |a||b| (worst case)
      for (std::int64_t p = 0; p < c.k; ++p) magnitude += std::abs(static_cast<double>(at(i, p)) * bt(p, j));
      const double tolerance = 1e-6 + 1.2e-7 * static_cast<double>(c.k + 2) * std::abs(c.alpha) * magnitude +
                               (c.beta != 0.0f ? 1.2e-7 * std::abs(c.beta * c0[e]) : 0.0);
      ASSERT_NEAR(got[e], want[e], tolerance) << c.m << "x" << c.n << "x" << c.k << " ta " << c.trans_a << " tb "
                                              << c.trans_b << " at " << i << "," << j;
    }
}

TEST(CudaGemmKernel, MatchesOpenBlasAcrossShapesAndTransposes) {
  std::uint32_t seed = 100;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const auto& [m, n, k] : {std::array<std::int64_t, 3>{1, 1, 1}, {7, 5, 3}, {64, 64, 16}, {65, 63, 17},
                                    {130, 70, 45}, {33, 150, 129}})
        check({m, n, k, ta, tb, 1.0f, 0.0f, 0}, seed += 3);
}

TEST(CudaGemmKernel, AlphaBetaAndPaddedLeadingDimensions) {
  check({70, 90, 40, false, false, 0.5f, -1.25f, 3}, 7);
  check({45, 33, 80, true, true, -2.0f, 1.0f, 5}, 8);
  check({100, 20, 30, false, true, 1.0f, 0.0f, 1}, 9);  // beta 0 with NaN in C and padding
}

TEST(CudaGemmKernel, EmptyInnerDimensionScalesC) {
  check({9, 11, 0, false, false, 1.0f, 0.5f, 0}, 12);  // C = 0.5 * C
  check({9, 11, 0, false, false, 1.0f, 0.0f, 0}, 13);  // C = 0
}

TEST(CudaGemmKernel, ManyBlocks) { check({300, 260, 20, false, false, 1.0f, 0.0f, 0}, 21); }  // 5 x 5 tiles

}  // namespace
