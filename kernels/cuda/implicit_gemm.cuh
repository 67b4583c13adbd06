// A tiled shared-memory GEMM whose operands are functions rather than matrices: the convolution
// kernels describe A, B and the output store by index arithmetic (implicit GEMM, no im2col buffer).
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/launch.cuh"

namespace kernels::cuda::implicit_gemm {

// A block of 16x16 threads computes a 64x64 tile of C, each thread 4x4 outputs strided by 16;
// A and B move through shared memory 16 reduction steps at a time.
constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int kThreadsX = 16, kThreadsY = 16;
constexpr int kPerThreadM = kTileM / kThreadsY, kPerThreadN = kTileN / kThreadsX;
constexpr int kThreads = kThreadsX * kThreadsY;
constexpr std::int64_t kMaxIndex = std::int64_t{1} << 30;  // 32-bit index math, no overflow
static_assert(kThreads % kTileN == 0 && kThreads % kTileK == 0,
              "tile loads assume fixed columns per thread");

// Problem: for each group z, C[m, n] = A[m, k] @ B[k, n] where
//   float a(z, i, p)              A's element (i < m, p < k)
//   Column column(z, j)           what B's column j needs, computed once per thread (j < n)
//   float b(column, p)            B's element (p < k) in that column
//   void store(z, i, j, value)    writes C's element (i < m, j < n)
// Out-of-range elements are never asked for. blockIdx.z = z * splits + s: with splits > 1 the
// reduction is cut into `splits` chunks of `chunk` (a multiple of kTileK) and each chunk's
// partial product is stored separately (store must then accumulate). With one split the
// reduction order is fixed and results are deterministic.
template <typename Problem>
__global__ void __launch_bounds__(kThreads)
    kernel(Problem problem, int m, int n, int k, int splits, int chunk) {
  __shared__ float a_tile[kTileK][kTileM + 1];  // [p][i]; +1 spreads the column writes over banks
  __shared__ float b_tile[kTileK][kTileN];      // [p][j]
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int tid = ty * kThreadsX + tx;
  const int z = static_cast<int>(blockIdx.z) / splits;
  const int k_begin = (static_cast<int>(blockIdx.z) % splits) * chunk;
  const int k_end = min(k, k_begin + chunk);
  const int row0 = static_cast<int>(blockIdx.y) * kTileM;
  const int col0 = static_cast<int>(blockIdx.x) * kTileN;

  // Each thread loads A elements at one reduction offset and B elements in one column.
  const int a_p = tid % kTileK, a_i0 = tid / kTileK;
  const int b_j = tid % kTileN, b_p0 = tid / kTileN;
  const bool column_valid = col0 + b_j < n;
  const auto column = problem.column(z, column_valid ? col0 + b_j : 0);

  float acc[kPerThreadM][kPerThreadN] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    const int ap = k0 + a_p;
    for (int i = a_i0; i < kTileM; i += kThreads / kTileK)
      a_tile[a_p][i] = (row0 + i < m && ap < k_end) ? problem.a(z, row0 + i, ap) : 0.0f;
    for (int p = b_p0; p < kTileK; p += kThreads / kTileN)
      b_tile[p][b_j] = (column_valid && k0 + p < k_end) ? problem.b(column, k0 + p) : 0.0f;
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
      if (gj < n) problem.store(z, gi, gj, acc[i][j]);
    }
  }
}

// Launches `kernel<Problem>` over `groups` independent [m, n] products with reduction depth k,
// the reduction cut into `splits` chunks (clamped so that every chunk is non-empty).
template <typename Problem>
void run(const Problem& problem,
         std::int64_t groups,
         std::int64_t m,
         std::int64_t n,
         std::int64_t k,
         cudaStream_t stream,
         const char* who,
         std::int64_t splits = 1) {
  if (groups <= 0 || m <= 0 || n <= 0) return;
  const std::int64_t steps = (k + kTileK - 1) / kTileK;  // reduction tiles
  splits = std::clamp<std::int64_t>(splits, 1, std::max<std::int64_t>(steps, 1));
  const std::int64_t chunk = std::max<std::int64_t>((steps + splits - 1) / splits, 1) * kTileK;
  splits = std::max<std::int64_t>((k + chunk - 1) / chunk, 1);  // no empty chunk
  const std::int64_t tiles_m = (m + kTileM - 1) / kTileM, tiles_n = (n + kTileN - 1) / kTileN;
  if (groups * splits > 65535 || tiles_m > 65535 || m > kMaxIndex || n > kMaxIndex || k > kMaxIndex)
    throw std::invalid_argument(
        std::string(who) + ": groups=" + std::to_string(groups) + " (x " + std::to_string(splits) +
        " splits) m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
        " exceed the kernel's limits (groups * splits <= 65535, m <= 65535*64, m, n, k <= 2^30)");
  launch(kernel<Problem>,
         dim3(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
              static_cast<unsigned>(groups * splits)),
         dim3(kThreadsX, kThreadsY), 0, stream, problem, static_cast<int>(m), static_cast<int>(n),
         static_cast<int>(k), static_cast<int>(splits), static_cast<int>(chunk));
}

}  // namespace kernels::cuda::implicit_gemm
