// Packed f32 GEMM (the BLIS loop nest: NC x KC panels of B, MC x KC blocks of A, an MR x NR
// register tile) with an AVX-512 micro-kernel; C is split over the OpenMP threads.
#include "kernels/cpu/sgemm_avx512.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/error.h"
#include "kernels/cpu/avx512_target.h"

namespace kernels::cpu {

namespace {

// A matrix seen as element (i, j) at data[i * rs + j * cs].
struct Strided {
  const float* data;
  std::int64_t rs, cs;
};

// Where the packed blocks of op(B) come from: its packer or a strided matrix (packed into the
// thread's buffer), or op(B) stored packed whole (ceil(n / 64) panels of `depth` steps), read in
// place.
struct BSource {
  const SgemmPackB* pack = nullptr;
  const Strided* matrix = nullptr;  // op(B)(p, j)
  const float* panels = nullptr;
  std::int64_t depth = 0;
};

}  // namespace

#ifdef DREAMBOX_AVX512_KERNEL

namespace {

// Register tile: kMR rows of C by kNV 16-float vectors (24 accumulators of the 32 zmm registers);
// 6 x 64 measured faster than 8 x 48, 12 x 32 and 14 x 32 on the conv GEMM shapes (Zen 5).
// Products of at most 32 columns (their 64-column B panels half zeros) take a 12 x 32 tile that
// skips the zero half.
constexpr int kMR = 6;
constexpr int kNV = 4;
constexpr int kNR = 16 * kNV;
constexpr int kNarrowMR = 12;
constexpr int kNarrowNV = 2;
static_assert(kNR == kSgemmPanelWidth);
// Cache blocks (measured: KC 512 beat 128-384): an MC x KC block of A (192 KiB) and a KC x NR
// micro-panel of B (128 KiB) stay in L2 (1 MiB), a KC x NC block of B in L3.
constexpr std::int64_t kKC = 512;
constexpr std::int64_t kMC = 96;
constexpr std::int64_t kNC = 3072;
// Products this many times deeper than wide (weight gradients: depth = pixels) split the depth
// over the threads and add the partial products; others split the longer side of C.
constexpr std::int64_t kSplitDepthRatio = 4;
// Below this many multiply-adds one thread does the whole product.
constexpr std::int64_t kParallelMacs = std::int64_t{1} << 18;

// Interleaves the 64-bit halves (float pairs) of a and b within each 128-bit lane.
AVX512_TARGET inline __m512 unpack_lo64(__m512 a, __m512 b) {
  return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}
AVX512_TARGET inline __m512 unpack_hi64(__m512 a, __m512 b) {
  return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
}

}  // namespace

// dst[c * ds + r] = src[r * ss + c] for r, c < 16: three shuffle stages (pairs of floats, pairs of
// doubles, 128-bit lanes) instead of 256 scalar moves.
AVX512_TARGET void sgemm_transpose16(const float* src,
                                     std::int64_t ss,
                                     float* dst,
                                     std::int64_t ds) {
  __m512 r[16], t[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * ss);
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4 i + j], 128-bit lane L: rows 4 i .. 4 i + 3 of column 4 L + j.
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = unpack_lo64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 1] = unpack_hi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 2] = unpack_lo64(t[4 * i + 1], t[4 * i + 3]);
    r[4 * i + 3] = unpack_hi64(t[4 * i + 1], t[4 * i + 3]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {  // gather lane L of r[j], r[4 + j], r[8 + j], r[12 + j]
    const __m512 v0 = _mm512_shuffle_f32x4(r[j], r[4 + j], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 v1 = _mm512_shuffle_f32x4(r[j], r[4 + j], _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 v2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 v3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], _MM_SHUFFLE(3, 2, 3, 2));
    _mm512_storeu_ps(dst + j * ds, _mm512_shuffle_f32x4(v0, v2, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_ps(dst + (4 + j) * ds, _mm512_shuffle_f32x4(v0, v2, _MM_SHUFFLE(3, 1, 3, 1)));
    _mm512_storeu_ps(dst + (8 + j) * ds, _mm512_shuffle_f32x4(v1, v3, _MM_SHUFFLE(2, 0, 2, 0)));
    _mm512_storeu_ps(dst + (12 + j) * ds, _mm512_shuffle_f32x4(v1, v3, _MM_SHUFFLE(3, 1, 3, 1)));
  }
}

namespace {

// Packs `count` indices x `depth` steps into panels of W indices, each stored step-major
// (W consecutive floats per step), zero-padding the last panel. Element (index, step) is at
// src[index * s_index + step * s_depth].
template <int W>
AVX512_TARGET void pack_panels(const float* src,
                               std::int64_t s_index,
                               std::int64_t s_depth,
                               std::int64_t count,
                               std::int64_t depth,
                               float* dst) {
  std::int64_t i0 = 0;
  if constexpr (W < 16 && 48 % W == 0) {
    // Narrow panels (the MR rows of A) of a row-major A (s_depth == 1): 48 indices (48 / W whole
    // panels) x 16 steps at a time through three 16 x 16 transposes into a [step][index] block,
    // whose rows are then cut into the panels (the scalar loop below moves one float at a time).
    constexpr int kBlock = 48;
    alignas(64) float block[16 * kBlock];
    for (; s_depth == 1 && i0 + kBlock <= count; i0 += kBlock, dst += kBlock * depth) {
      const float* base = src + i0 * s_index;
      std::int64_t p = 0;
      for (; p + 16 <= depth; p += 16) {
        for (int r0 = 0; r0 < kBlock; r0 += 16)
          sgemm_transpose16(base + r0 * s_index + p, s_index, block + r0, kBlock);
        for (int q = 0; q < kBlock / W; ++q)
          for (int step = 0; step < 16; ++step)
            std::copy_n(block + step * kBlock + q * W, W, dst + q * W * depth + (p + step) * W);
      }
      for (; p < depth; ++p)
        for (int r = 0; r < kBlock; ++r)
          dst[r / W * W * depth + p * W + r % W] = base[r * s_index + p];
    }
  }
  for (; i0 < count; i0 += W, dst += W * depth) {
    const int width = static_cast<int>(std::min<std::int64_t>(W, count - i0));
    const float* base = src + i0 * s_index;
    if (s_index == 1 && width == W) {  // each step's W values are contiguous
      for (std::int64_t p = 0; p < depth; ++p)
        std::copy(base + p * s_depth, base + p * s_depth + W, dst + p * W);
      continue;
    }
    if (width < W)
      for (std::int64_t p = 0; p < depth; ++p) std::fill(dst + p * W + width, dst + p * W + W, 0.f);
    std::int64_t p_done = 0;  // a full-width transpose (s_depth == 1): 16 x 16 blocks
    if (s_depth == 1 && width == W && W % 16 == 0)
      for (; p_done + 16 <= depth; p_done += 16)
        for (int r0 = 0; r0 < W; r0 += 16)
          sgemm_transpose16(base + r0 * s_index + p_done, s_index, dst + p_done * W + r0, W);
    // Otherwise 16 steps of every index at a time, so that the reads are short contiguous runs
    // and the writes stay within a few KiB.
    for (std::int64_t p0 = p_done; p0 < depth; p0 += 16) {
      const std::int64_t p1 = std::min(depth, p0 + 16);
      for (int w = 0; w < width; ++w)
        for (std::int64_t p = p0; p < p1; ++p) dst[p * W + w] = base[w * s_index + p * s_depth];
    }
  }
}

// Step p of a packed B micro-panel: NR floats, p * NR floats on.
struct PanelRows {
  const float* b;
  const float* operator()(std::int64_t p) const { return b + p * kNR; }
};
// Step p of B read in place: NR floats from b + offsets[p] (an image row).
struct OffsetRows {
  const float* b;
  const std::int64_t* offsets;
  const float* operator()(std::int64_t p) const { return b + offsets[p]; }
};

// Row i, step p of a packed A micro-panel [kc][MR].
template <int MR = kMR>
struct PanelColumns {
  const float* a;
  float operator()(std::int64_t p, int i) const { return a[p * MR + i]; }
};
// Row i, step p of a block of op(A) read in place: a[i * rs + p * cs].
struct StridedColumns {
  const float* a;
  std::int64_t rs, cs;
  float operator()(std::int64_t p, int i) const { return a[i * rs + p * cs]; }
};
// Row i, step p of A read in place: rows[i][p] (MR runs of image rows).
struct RowRuns {
  const float* rows[kMR];
  float operator()(std::int64_t p, int i) const { return rows[i][p]; }
};

// C[rows, cols] (at c, leading dim ldc; rows <= MR, cols <= 16 NV) = alpha * A @ B (+ beta * C
// when accumulate). a_at(p, i): A's row i at step p; b_row(p): B's step p (its first 16 NV floats
// read).
template <int MR, int NV, typename AAt, typename BRow>
AVX512_TARGET void micro_kernel(std::int64_t kc,
                                AAt a_at,
                                BRow b_row,
                                float* c,
                                std::int64_t ldc,
                                int rows,
                                int cols,
                                float alpha,
                                float beta,
                                bool accumulate) {
  __m512 acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < kc; ++p) {
    const float* b = b_row(p);
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(a_at(p, i));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
  __mmask16 mask[NV];
  for (int v = 0; v < NV; ++v) {
    const int left = std::clamp(cols - 16 * v, 0, 16);
    mask[v] = static_cast<__mmask16>((1u << left) - 1u);
  }
  const __m512 alpha_v = _mm512_set1_ps(alpha), beta_v = _mm512_set1_ps(beta);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    if (i >= rows) break;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* cp = c + i * ldc + 16 * v;
      __m512 r = _mm512_mul_ps(acc[i][v], alpha_v);
      if (accumulate) r = _mm512_fmadd_ps(beta_v, _mm512_maskz_loadu_ps(mask[v], cp), r);
      _mm512_mask_storeu_ps(cp, mask[v], r);
    }
  }
}

// Per-thread packing buffers, 64-byte aligned, grown on demand and kept for the next call.
struct PackBuffers {
  std::unique_ptr<float[]> storage;
  std::int64_t capacity = 0;
  float* a = nullptr;
  float* b = nullptr;
  void reserve() {
    const std::int64_t a_size = kMC * kKC, b_size = kKC * kNC, need = a_size + b_size + 16;
    if (capacity >= need) return;
    storage = std::make_unique<float[]>(need);
    capacity = need;
    const auto addr = reinterpret_cast<std::uintptr_t>(storage.get());
    a = storage.get() + ((64 - addr % 64) % 64) / sizeof(float);
    b = a + a_size;
  }
};

// C[mc, nc] (at c) = alpha * op(A) block [mc, kc] @ op(B) block [kc, nc] (+ beta * C when
// accumulate), MR x 16 NV register tiles at a time; B's panels b_step floats apart from b_block.
// A is packed into `packed`, except with a single panel of B, where a packed copy would be read
// once: then the kernel reads A in place, but for a last panel of fewer than MR rows (packed, with
// zero rows).
template <int MR, int NV>
AVX512_TARGET void block_tiles(const Strided& a,
                               std::int64_t mc,
                               std::int64_t kc,
                               const float* b_block,
                               std::int64_t b_step,
                               std::int64_t nc,
                               float* packed,
                               float* c,
                               std::int64_t ldc,
                               float alpha,
                               float beta,
                               bool accumulate) {
  const std::int64_t in_place = nc <= kNR ? mc / MR * MR : 0;
  if (in_place < mc)
    pack_panels<MR>(a.data + in_place * a.rs, a.rs, a.cs, mc - in_place, kc, packed);
  for (std::int64_t jr = 0; jr < nc; jr += kNR) {
    const int cols = static_cast<int>(std::min<std::int64_t>(kNR, nc - jr));
    for (std::int64_t ir = 0; ir < mc; ir += MR) {
      const int rows = static_cast<int>(std::min<std::int64_t>(MR, mc - ir));
      float* c_tile = c + ir * ldc + jr;
      const PanelRows b_panel{b_block + jr / kNR * b_step};
      if (ir < in_place)
        micro_kernel<MR, NV>(kc, StridedColumns{a.data + ir * a.rs, a.rs, a.cs}, b_panel, c_tile,
                             ldc, rows, cols, alpha, beta, accumulate);
      else
        micro_kernel<MR, NV>(kc, PanelColumns<MR>{packed + (ir - in_place) * kc}, b_panel, c_tile,
                             ldc, rows, cols, alpha, beta, accumulate);
    }
  }
}

// The rows [m0, m1) x columns [n0, n1) of C from the depth range [k0, k1), on the calling thread.
AVX512_TARGET void gemm_block(const Strided& a,
                              const BSource& b,
                              std::int64_t k0,
                              std::int64_t k1,
                              float alpha,
                              float beta,
                              float* c,
                              std::int64_t ldc,
                              std::int64_t m0,
                              std::int64_t m1,
                              std::int64_t n0,
                              std::int64_t n1) {
  thread_local PackBuffers buffers;
  buffers.reserve();
  for (std::int64_t jc = n0; jc < n1; jc += kNC) {
    const std::int64_t nc = std::min(kNC, n1 - jc);
    for (std::int64_t pc = k0; pc < k1; pc += kKC) {
      const std::int64_t kc = std::min(kKC, k1 - pc);
      const float* b_block = buffers.b;  // kc x nc: panels of kc steps, b_step floats apart
      std::int64_t b_step = kc * kNR;
      if (b.pack != nullptr) {
        (*b.pack)(pc, kc, jc, nc, buffers.b);
      } else if (b.matrix != nullptr) {  // column j of op(B) is the panel index, row p the depth
        const Strided& sb = *b.matrix;
        pack_panels<kNR>(sb.data + pc * sb.rs + jc * sb.cs, sb.cs, sb.rs, nc, kc, buffers.b);
      } else {
        b_block = b.panels + jc * b.depth + pc * kNR;
        b_step = b.depth * kNR;
      }
      const bool accumulate = pc > k0 || beta != 0.f;
      const float beta_here = pc > k0 ? 1.f : beta;
      for (std::int64_t ic = m0; ic < m1; ic += kMC) {
        const std::int64_t mc = std::min(kMC, m1 - ic);
        const Strided a_block{a.data + ic * a.rs + pc * a.cs, a.rs, a.cs};  // op(A)[ic :, pc :]
        if (nc <= 16 * kNarrowNV)
          block_tiles<kNarrowMR, kNarrowNV>(a_block, mc, kc, b_block, b_step, nc, buffers.a,
                                            c + ic * ldc + jc, ldc, alpha, beta_here, accumulate);
        else
          block_tiles<kMR, kNV>(a_block, mc, kc, b_block, b_step, nc, buffers.a, c + ic * ldc + jc,
                                ldc, alpha, beta_here, accumulate);
      }
    }
  }
}

// C = beta * C (the product is empty or scaled by zero); beta == 0 writes zeros without reading.
AVX512_TARGET void scale_c(std::int64_t m, std::int64_t n, float beta, float* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.f ? 0.f : beta * c[i * ldc + j];
}

// Thread t multiplies the depth range [k t / T, k (t + 1) / T): thread 0 into C (with beta), the
// others into their own m x n buffers, which are then added into C (rows split over threads).
void split_depth(const Strided& a,
                 const BSource& b,
                 std::int64_t m,
                 std::int64_t n,
                 std::int64_t k,
                 float alpha,
                 float beta,
                 float* c,
                 std::int64_t ldc,
                 int threads) {
  std::vector<float> partial(static_cast<std::size_t>((threads - 1) * m * n));  // [T - 1, m, n]
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t k0 = k * t / nt, k1 = k * (t + 1) / nt;
    if (t == 0)
      gemm_block(a, b, k0, k1, alpha, beta, c, ldc, 0, m, 0, n);
    else
      gemm_block(a, b, k0, k1, alpha, 0.f, partial.data() + (t - 1) * m * n, n, 0, m, 0, n);
#pragma omp barrier
    for (std::int64_t i = m * t / nt; i < m * (t + 1) / nt; ++i)
      for (std::int64_t s = 1; s < nt; ++s) {
        const float* add = partial.data() + ((s - 1) * m + i) * n;
        float* row = c + i * ldc;
        for (std::int64_t j = 0; j < n; ++j) row[j] += add[j];
      }
  }
}

}  // namespace

bool sgemm_avx512_available() {
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  return available;
}

namespace {

// sgemm_avx512 with op(B) from b: split over the threads (C's longer side, or the depth of deep
// products).
void run(bool trans_a,
         std::int64_t m,
         std::int64_t n,
         std::int64_t k,
         float alpha,
         const float* a,
         std::int64_t lda,
         const BSource& b,
         float beta,
         float* c,
         std::int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.f) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const Strided sa{a, trans_a ? 1 : lda, trans_a ? lda : 1};  // op(A)(i, p)
  const int threads = (omp_in_parallel() || m * n * k < kParallelMacs) ? 1 : omp_get_max_threads();
  if (threads > 1 && k >= kSplitDepthRatio * std::max(m, n)) {
    split_depth(sa, b, m, n, k, alpha, beta, c, ldc, threads);
    return;
  }
  // Split the longer side of C into equal parts of whole register tiles.
  const bool split_n = n >= m;
  const std::int64_t tile = split_n ? kNR : kMR, extent = split_n ? n : m;
  const std::int64_t tiles = (extent + tile - 1) / tile;
  const int parts = static_cast<int>(std::min<std::int64_t>(threads, tiles));
#pragma omp parallel num_threads(parts) if (parts > 1)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t lo = std::min(extent, tiles * t / nt * tile),
                       hi = std::min(extent, tiles * (t + 1) / nt * tile);
    if (lo < hi) {
      if (split_n)
        gemm_block(sa, b, 0, k, alpha, beta, c, ldc, 0, m, lo, hi);
      else
        gemm_block(sa, b, 0, k, alpha, beta, c, ldc, lo, hi, 0, n);
    }
  }
}

}  // namespace

std::int64_t sgemm_avx512_packed_a_size(std::int64_t m, std::int64_t k) {
  return (m + kMR - 1) / kMR * kMR * k;
}

void sgemm_avx512_pack_a(
    std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, float* dst) {
  pack_panels<kMR>(a, lda, 1, m, k, dst);
}

AVX512_TARGET void sgemm_avx512_offset_b(std::int64_t m,
                                         std::int64_t n,
                                         std::int64_t k,
                                         const float* a_packed,
                                         const float* b,
                                         const std::int64_t* offsets,
                                         bool accumulate,
                                         float* c,
                                         std::int64_t ldc) {
  for (std::int64_t jr = 0; jr < n; jr += kNR) {
    const int cols = static_cast<int>(std::min<std::int64_t>(kNR, n - jr));
    for (std::int64_t ir = 0; ir < m; ir += kMR) {
      const int rows = static_cast<int>(std::min<std::int64_t>(kMR, m - ir));
      micro_kernel<kMR, kNV>(k, PanelColumns<>{a_packed + ir * k}, OffsetRows{b + jr, offsets},
                             c + ir * ldc + jr, ldc, rows, cols, 1.f, 1.f, accumulate);
    }
  }
}

AVX512_TARGET void sgemm_avx512_row_runs_a(std::int64_t m,
                                           std::int64_t n,
                                           std::int64_t k,
                                           const float* a,
                                           const std::int64_t* offsets,
                                           const float* b_panels,
                                           std::int64_t b_depth,
                                           float* c,
                                           std::int64_t ldc) {
  for (std::int64_t ir = 0; ir < m; ir += kMR) {
    const int rows = static_cast<int>(std::min<std::int64_t>(kMR, m - ir));
    RowRuns runs{};
    for (int i = 0; i < kMR; ++i) runs.rows[i] = a + offsets[ir + std::min(i, rows - 1)];
    for (std::int64_t jr = 0; jr < n; jr += kNR) {
      const int cols = static_cast<int>(std::min<std::int64_t>(kNR, n - jr));
      micro_kernel<kMR, kNV>(k, runs, PanelRows{b_panels + jr / kNR * b_depth * kNR},
                             c + ir * ldc + jr, ldc, rows, cols, 1.f, 1.f, true);
    }
  }
}

#else  // no AVX-512 kernel in this build: the entry points below fail

void sgemm_transpose16(const float*, std::int64_t, float*, std::int64_t) {
  ENGINE_FAIL(
      "sgemm_transpose16: this build has no AVX-512 kernel (configure with -DDREAMBOX_AVX512=ON)");
}

bool sgemm_avx512_available() {
  return false;
}

namespace {

// Stands in for the threaded product (whatever its arguments) in a build without the kernel.
template <typename... Args>
[[noreturn]] void run(const Args&...) {
  ENGINE_FAIL(
      "sgemm_avx512: this build has no AVX-512 kernel (configure with -DDREAMBOX_AVX512=ON)");
}

}  // namespace

std::int64_t sgemm_avx512_packed_a_size(std::int64_t, std::int64_t) {
  run();
}
void sgemm_avx512_pack_a(std::int64_t, std::int64_t, const float*, std::int64_t, float*) {
  run();
}
void sgemm_avx512_offset_b(std::int64_t,
                           std::int64_t,
                           std::int64_t,
                           const float*,
                           const float*,
                           const std::int64_t*,
                           bool,
                           float*,
                           std::int64_t) {
  run();
}
void sgemm_avx512_row_runs_a(std::int64_t,
                             std::int64_t,
                             std::int64_t,
                             const float*,
                             const std::int64_t*,
                             const float*,
                             std::int64_t,
                             float*,
                             std::int64_t) {
  run();
}

#endif

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
                           std::int64_t ldc) {
  run(trans_a, m, n, k, alpha, a, lda, BSource{.pack = &pack_b}, beta, c, ldc);
}

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
                              std::int64_t ldc) {
  run(trans_a, m, n, k, alpha, a, lda, BSource{.panels = b_panels, .depth = k}, beta, c, ldc);
}

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
                  std::int64_t ldc) {
  const Strided sb{b, trans_b ? 1 : ldb, trans_b ? ldb : 1};  // op(B)(p, j)
  run(trans_a, m, n, k, alpha, a, lda, BSource{.matrix = &sb}, beta, c, ldc);
}

}  // namespace kernels::cpu
