// Tiled SGEMM: a 16x16 block computes a 64x64 tile of C, each thread a 4x4 register tile; A and
// B move through shared memory 16 columns/rows at a time. Simple and correct; tuning comes later.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/gemm.h"
#include "kernels/cuda/launch.cuh"

namespace kernels::cuda {
namespace {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int kThreadsX = 16, kThreadsY = 16;  // each thread: 4x4 outputs strided by 16
constexpr int kPerThreadM = kTileM / kThreadsY, kPerThreadN = kTileN / kThreadsX;
constexpr int kThreads = kThreadsX * kThreadsY;

// A(i, p) = a[i * a_row + p * a_col], B(p, j) = b[p * b_row + j * b_col]: transposes are strides.
__global__ void __launch_bounds__(kThreads)
    gemm_f32_kernel(int m, int n, int k, float alpha, const float* __restrict__ a, std::int64_t a_row,
                    std::int64_t a_col, const float* __restrict__ b, std::int64_t b_row, std::int64_t b_col,
                    float beta, float* __restrict__ c, std::int64_t ldc) {
  __shared__ float a_tile[kTileK][kTileM];  // [p][i]
  __shared__ float b_tile[kTileK][kTileN];  // [p][j]
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int tid = ty * kThreadsX + tx;
  const int row0 = static_cast<int>(blockIdx.y) * kTileM, col0 = static_cast<int>(blockIdx.x) * kTileN;
  float acc[kPerThreadM][kPerThreadN] = {};

  for (int k0 = 0; k0 < k; k0 += kTileK) {
    for (int e = tid; e < kTileM * kTileK; e += kThreads) {  // zero-fill outside the matrices
      const int i = e / kTileK, p = e % kTileK, gi = row0 + i, gp = k0 + p;
      a_tile[p][i] = (gi < m && gp < k) ? a[gi * a_row + gp * a_col] : 0.0f;
    }
    for (int e = tid; e < kTileK * kTileN; e += kThreads) {
      const int p = e / kTileN, j = e % kTileN, gp = k0 + p, gj = col0 + j;
      b_tile[p][j] = (gp < k && gj < n) ? b[gp * b_row + gj * b_col] : 0.0f;
    }
    __syncthreads();
    for (int p = 0; p < kTileK; ++p) {
      float a_frag[kPerThreadM], b_frag[kPerThreadN];
      for (int i = 0; i < kPerThreadM; ++i) a_frag[i] = a_tile[p][ty + kThreadsY * i];
      for (int j = 0; j < kPerThreadN; ++j) b_frag[j] = b_tile[p][tx + kThreadsX * j];
      for (int i = 0; i < kPerThreadM; ++i)
        for (int j = 0; j < kPerThreadN; ++j) acc[i][j] = fmaf(a_frag[i], b_frag[j], acc[i][j]);
    }
    __syncthreads();  // the tiles are overwritten by the next step
  }

  for (int i = 0; i < kPerThreadM; ++i) {
    const int gi = row0 + ty + kThreadsY * i;
    if (gi >= m) continue;
    for (int j = 0; j < kPerThreadN; ++j) {
      const int gj = col0 + tx + kThreadsX * j;
      if (gj >= n) continue;
      float* out = c + gi * ldc + gj;
      *out = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
    }
  }
}

}  // namespace

void gemm_f32(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
              bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float beta, float* c, std::int64_t ldc,
              cudaStream_t stream) {
  if (m < 0 || n < 0 || k < 0)
    throw std::invalid_argument("kernels::cuda::gemm_f32: negative size m=" + std::to_string(m) +
                                " n=" + std::to_string(n) + " k=" + std::to_string(k));
  if (m == 0 || n == 0) return;
  const std::int64_t tiles_m = (m + kTileM - 1) / kTileM, tiles_n = (n + kTileN - 1) / kTileN;
  if (tiles_m > 65535 || k > 2147483647 || n > 2147483647)
    throw std::invalid_argument("kernels::cuda::gemm_f32: m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                " k=" + std::to_string(k) + " exceed the kernel's grid (m < 65535*64, n, k < 2^31)");
  launch(gemm_f32_kernel, dim3(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m)),
         dim3(kThreadsX, kThreadsY), 0, stream, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
         a, trans_a ? std::int64_t{1} : lda, trans_a ? lda : std::int64_t{1}, b, trans_b ? std::int64_t{1} : ldb,
         trans_b ? ldb : std::int64_t{1}, beta, c, ldc);
}

}  // namespace kernels::cuda
