// Our AVX-512 f32 GEMM against a double-precision triple loop (every transpose, tails, alpha/beta,
// padded leading dims, B stored packed), and f32 conv2d through it against the f64 conv (dgemm).
#include "kernels/cpu/sgemm_avx512.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "engine/functional.h"
#include "kernels/cpu/gemm.h"
#include "test_util.h"

namespace {

struct Case {
  std::int64_t m, n, k;
  bool trans_a, trans_b;
  float alpha, beta;
  std::int64_t pad;  // extra elements per row of every operand (ld > row length)
};

void check_against_double_loop(const Case& c, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  const std::int64_t a_rows = c.trans_a ? c.k : c.m, a_cols = c.trans_a ? c.m : c.k;
  const std::int64_t b_rows = c.trans_b ? c.n : c.k, b_cols = c.trans_b ? c.k : c.n;
  const std::int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.n + c.pad;
  std::vector<float> a(a_rows * lda), b(b_rows * ldb), out(c.m * ldc);
  for (float& v : a) v = normal(rng);
  for (float& v : b) v = normal(rng);
  for (float& v : out) v = c.beta == 0.f ? std::numeric_limits<float>::quiet_NaN() : normal(rng);
  const std::vector<float> before = out;
  kernels::cpu::sgemm_avx512(c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(),
                             ldb, c.beta, out.data(), ldc);
  for (std::int64_t i = 0; i < c.m; ++i)
    for (std::int64_t j = 0; j < c.n; ++j) {
      double sum = 0, magnitude = 0;
      for (std::int64_t p = 0; p < c.k; ++p) {
        const double x = c.trans_a ? a[p * lda + i] : a[i * lda + p];
        const double y = c.trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += x * y;
        magnitude += std::abs(x * y);
      }
      const double old_c = c.beta == 0.f ? 0.0 : c.beta * before[i * ldc + j];  // NaN unread
      const double want = c.alpha * sum + old_c;
      // f32 accumulation error bound: a few ulps of the absolute sum per sqrt(k) terms.
      const double tol =
          1e-6 + 4 * std::numeric_limits<float>::epsilon() *
                     (std::abs(c.alpha) * magnitude * std::sqrt(double(c.k) + 1) + std::abs(old_c));
      ASSERT_NEAR(out[i * ldc + j], want, tol)
          << "m " << c.m << " n " << c.n << " k " << c.k << " trans " << c.trans_a << c.trans_b
          << " alpha " << c.alpha << " beta " << c.beta << " at (" << i << ", " << j << ")";
    }
  for (std::int64_t i = 0; i < c.m; ++i)  // the padding columns of C are never written
    for (std::int64_t j = c.n; j < ldc; ++j)
      ASSERT_TRUE(std::isnan(out[i * ldc + j]) == std::isnan(before[i * ldc + j]) &&
                  (std::isnan(before[i * ldc + j]) || out[i * ldc + j] == before[i * ldc + j]));
}

TEST(SgemmAvx512, MatchesDoubleLoopOnEveryLayout) {
  if (!kernels::cpu::sgemm_avx512_available())
    GTEST_SKIP() << "no AVX-512 kernel on this CPU/build";
  std::mt19937 rng(7);
  // Shapes around the 6 x 64 register tile, the 512-deep K blocks and the 96-row M blocks.
  const std::vector<Case> cases = {
      {1, 1, 1, false, false, 1.f, 0.f, 0},
      {6, 64, 512, false, false, 1.f, 0.f, 0},
      {7, 65, 513, true, false, 1.f, 1.f, 3},
      {97, 130, 40, false, true, 0.5f, -2.f, 1},
      {5, 3, 1030, true, true, -1.f, 0.f, 2},
      {200, 17, 9, false, false, 1.f, 0.5f, 0},
      {13, 300, 600, false, true, 2.f, 0.f, 5},
      {64, 576, 300, false, true, 1.f, 1.f, 0},
      {40, 50, 0, false, false, 1.f, 0.5f, 1},
      {40, 50, 0, true, true, 1.f, 0.f, 0},
      {30, 20, 10, false, false, 0.f, 2.f, 0},
      // At most 64 columns: A read in place (no packing) but for a last panel of < 6 rows.
      {200, 64, 600, false, false, 1.f, 0.f, 2},
      {101, 33, 1100, true, false, 0.5f, 1.f, 1},
      // At most 32 columns: the 12 x 32 tile (in place, a packed tail of < 12 rows).
      {107, 32, 530, false, false, 1.f, 0.f, 0},
      {25, 17, 40, true, true, -1.f, 0.5f, 3},
      // Deep products (depth >= 4 x the sides) split the depth over the threads.
      {20, 30, 3000, false, true, 1.f, 0.f, 1},
      {64, 100, 5000, true, false, 0.5f, 1.f, 0},
  };
  for (const Case& c : cases) check_against_double_loop(c, rng);
  for (int trial = 0; trial < 40; ++trial) {
    std::uniform_int_distribution<std::int64_t> side(1, 150), depth(1, 700);
    const float betas[] = {0.f, 1.f, -0.5f};
    check_against_double_loop({side(rng), side(rng), depth(rng), bool(rng() & 1), bool(rng() & 1),
                               (rng() & 1) ? 1.f : 0.7f, betas[rng() % 3], std::int64_t(rng() % 3)},
                              rng);
  }
}

// op(B) stored packed (64-column panels, zeros past n) and read in place: against the double loop,
// across panel edges, several 512-deep blocks and the depth split over threads.
TEST(SgemmAvx512, PrepackedBMatchesDoubleLoop) {
  if (!kernels::cpu::sgemm_avx512_available())
    GTEST_SKIP() << "no AVX-512 kernel on this CPU/build";
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  struct Shape {
    std::int64_t m, n, k;
    bool trans_a;
  };
  for (const Shape& s :
       {Shape{1, 1, 1, false}, Shape{37, 130, 700, true}, Shape{100, 64, 33, false},
        Shape{8, 70, 3000, false}, Shape{130, 200, 128, true}}) {
    SCOPED_TRACE(testing::Message() << "m " << s.m << " n " << s.n << " k " << s.k);
    constexpr std::int64_t kW = kernels::cpu::kSgemmPanelWidth;
    const std::int64_t panels = (s.n + kW - 1) / kW;
    std::vector<float> a(s.m * s.k), b(s.k * s.n), storage(panels * s.k * kW + 16, 0.f);
    float* packed = storage.data();  // 64-byte aligned, as the kernel's aligned loads need
    while (reinterpret_cast<std::uintptr_t>(packed) % 64 != 0) ++packed;
    std::vector<float> out(s.m * s.n, std::numeric_limits<float>::quiet_NaN());
    for (float& v : a) v = normal(rng);
    for (float& v : b) v = normal(rng);
    for (std::int64_t p = 0; p < s.k; ++p)
      for (std::int64_t j = 0; j < s.n; ++j)
        packed[(j / kW * s.k + p) * kW + j % kW] = b[p * s.n + j];
    const std::int64_t lda = s.trans_a ? s.m : s.k;  // A [m, k] or stored as [k, m]
    kernels::cpu::sgemm_avx512_prepacked_b(s.trans_a, s.m, s.n, s.k, 1.f, a.data(), lda, packed,
                                           0.f, out.data(), s.n);
    for (std::int64_t i = 0; i < s.m; ++i)
      for (std::int64_t j = 0; j < s.n; ++j) {
        double sum = 0, magnitude = 0;
        for (std::int64_t p = 0; p < s.k; ++p) {
          const double x = s.trans_a ? a[p * lda + i] : a[i * lda + p], y = b[p * s.n + j];
          sum += x * y;
          magnitude += std::abs(x * y);
        }
        const double tol = 1e-6 + 4 * std::numeric_limits<float>::epsilon() * magnitude *
                                      std::sqrt(double(s.k) + 1);
        ASSERT_NEAR(out[i * s.n + j], sum, tol) << "at (" << i << ", " << j << ")";
      }
  }
}

// conv2d in f32 (forward, input, weight and bias gradients) with channel counts large enough for
// the AVX-512 kernel (OpenBLAS under DREAMBOX_GEMM=blas), against the same conv in f64
// (cblas_dgemm). Entries sum at most 8192 products of values in [-1, 1); f32 rounding (~1e-7
// relative per sqrt(term count)) stays far below 1e-5 of the largest output.
TEST(SgemmAvx512, Conv2dF32MatchesF64) {
  using namespace engine;
  struct ConvCase {
    std::int64_t batch, c, o, hw, k, stride, pad, dilation, groups;
  };
  // Folded batches (maps under 4096 pixels) and per-image GEMMs; the stride-1 input gradient as a
  // conv; grouped, dilated, strided and pointwise convs.
  for (const ConvCase& cc :
       {ConvCase{2, 32, 48, 12, 3, 1, 1, 1, 1}, ConvCase{1, 40, 64, 9, 1, 1, 0, 1, 1},
        ConvCase{2, 24, 32, 15, 3, 2, 1, 1, 1}, ConvCase{2, 16, 16, 64, 3, 1, 1, 1, 1},
        ConvCase{1, 32, 32, 10, 3, 1, 2, 2, 2}}) {
    SCOPED_TRACE(testing::Message()
                 << "C " << cc.c << " O " << cc.o << " hw " << cc.hw << " k " << cc.k << " stride "
                 << cc.stride << " dilation " << cc.dilation << " groups " << cc.groups);
    const Tensor x64 = test_util::leaf({cc.batch, cc.c, cc.hw, cc.hw}, 1);
    const Tensor w64 = test_util::leaf({cc.o, cc.c / cc.groups, cc.k, cc.k}, 2);
    const Tensor b64 = test_util::leaf({cc.o}, 3);
    const Tensor x32 = x64.to(DType::f32).detach().requires_grad_();
    const Tensor w32 = w64.to(DType::f32).detach().requires_grad_();
    const Tensor b32 = b64.to(DType::f32).detach().requires_grad_();
    const auto conv = [&cc](const Tensor& x, const Tensor& w, const Tensor& b) {
      return conv2d(x, w, b, {cc.stride, cc.stride}, {cc.pad, cc.pad}, {cc.dilation, cc.dilation},
                    cc.groups);
    };
    const Tensor y64 = conv(x64, w64, b64), y32 = conv(x32, w32, b32);
    const Tensor up = test_util::leaf(y64.shape(), 4).detach();
    y64.backward(up);
    y32.backward(up.to(DType::f32));
    const std::pair<Tensor, Tensor> pairs[] = {
        {y32, y64}, {x32.grad(), x64.grad()}, {w32.grad(), w64.grad()}, {b32.grad(), b64.grad()}};
    for (const auto& [got, want] : pairs) {
      const auto g = test_util::values(got), w = test_util::values(want);
      double scale = 0;
      for (double v : w) scale = std::max(scale, std::abs(v));
      for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], 1e-5 * scale) << i;
    }
  }
}

}  // namespace
