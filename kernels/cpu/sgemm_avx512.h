// Our own packed f32 GEMM with an AVX-512 micro-kernel (OpenBLAS here runs its AVX2 kernels, half
// the FMA width of this CPU); used by kernels::cpu::gemm when the CPU has AVX-512F.
#pragma once

#include <cstdint>
#include <functional>

namespace kernels::cpu {

// True when this build has the AVX-512 kernel and the CPU running it supports AVX-512F.
bool sgemm_avx512_available();

// C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C, all row-major with leading dimensions
// lda, ldb, ldc; op(X) = X^T when trans_x. beta == 0 never reads C. Splits C over the OpenMP
// threads. Only call when sgemm_avx512_available().
void sgemm_avx512(bool trans_a,
                  bool trans_b,
                  std::int64_t m,
                  std::int64_t n,
                  std::int64_t k,
                  float alpha,
                  const float* a,
                  std::int64_t lda,
                  const float* b,
                  std::int64_t ldb,
                  float beta,
                  float* c,
                  std::int64_t ldc);

// dst[c * ds + r] = src[r * ss + c] for r, c < 16 (a 16 x 16 block transpose in registers).
// Only call when sgemm_avx512_available().
void sgemm_transpose16(const float* src, std::int64_t ss, float* dst, std::int64_t ds);

// Columns per packed panel of op(B).
inline constexpr int kSgemmPanelWidth = 64;

// Writes op(B)[p0 : p0 + kc, j0 : j0 + nc] packed: ceil(nc / 64) panels one after the other, each
// kc steps of 64 floats (step p's 64 columns), columns past nc zero. Called from several threads
// at once (different blocks); lets a caller build B on the fly (an implicit im2col).
using SgemmPackB = std::function<void(
    std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t nc, float* dst)>;

// sgemm_avx512 with op(B) [k, n] given by its packer instead of a matrix.
void sgemm_avx512_packed_b(bool trans_a,
                           std::int64_t m,
                           std::int64_t n,
                           std::int64_t k,
                           float alpha,
                           const float* a,
                           std::int64_t lda,
                           const SgemmPackB& pack_b,
                           float beta,
                           float* c,
                           std::int64_t ldc);

// sgemm_avx512 with op(B) [k, n] already stored packed: ceil(n / 64) panels one after the other,
// each k steps of 64 floats (columns past n finite, e.g. zero), 64-byte aligned, read in place.
void sgemm_avx512_prepacked_b(bool trans_a,
                              std::int64_t m,
                              std::int64_t n,
                              std::int64_t k,
                              float alpha,
                              const float* a,
                              std::int64_t lda,
                              const float* b_panels,
                              float beta,
                              float* c,
                              std::int64_t ldc);

// Floats of A [m, k] packed by sgemm_avx512_pack_a: ceil(m / 6) panels of k steps x 6 rows.
std::int64_t sgemm_avx512_packed_a_size(std::int64_t m, std::int64_t k);
// dst <- A [m, k] (row-major, leading dimension lda) packed for sgemm_avx512_offset_b (rows past m
// zero). Only call when sgemm_avx512_available().
void sgemm_avx512_pack_a(
    std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, float* dst);

// C[m, n] = A @ B (+ C when accumulate) on the calling thread, with A packed by sgemm_avx512_pack_a
// and B read in place: B(p, j) = b[offsets[p] + j] (each step a run of an image row, so a
// convolution needs no im2col). Reads whole 64-float blocks of each run, up to
// b[offsets[p] + ceil(n / 64) * 64 - 1]: the caller keeps them readable and finite (the extra
// columns never reach C). Only call when sgemm_avx512_available().
void sgemm_avx512_offset_b(std::int64_t m,
                           std::int64_t n,
                           std::int64_t k,
                           const float* a_packed,
                           const float* b,
                           const std::int64_t* offsets,
                           bool accumulate,
                           float* c,
                           std::int64_t ldc);

// C[m, n] += A @ B on the calling thread, with A read in place: A(i, p) = a[offsets[i] + p] (each
// row a run of an image row) and B stored packed: ceil(n / 64) panels of b_depth steps of 64
// floats, the product reading the first k steps of each. Only call when sgemm_avx512_available().
void sgemm_avx512_row_runs_a(std::int64_t m,
                             std::int64_t n,
                             std::int64_t k,
                             const float* a,
                             const std::int64_t* offsets,
                             const float* b_panels,
                             std::int64_t b_depth,
                             float* c,
                             std::int64_t ldc);

}  // namespace kernels::cpu
