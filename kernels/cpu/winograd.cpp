// Winograd F(4x4, 3x3) (Lavin & Gray 2016): a 4x4 output tile is A^T [(G g G^T) . (B^T d B)] A for
// its 6x6 input tile d, so the sum over input channels becomes 36 independent GEMMs (one per point
// of the transformed tile) with 4x fewer multiply-adds than im2col. The weight gradient is the
// adjoint: G^T [(A dY A^T)^T-products with B^T d B] G. Transforms run 16 channels per vector.
#include "kernels/cpu/winograd.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "engine/error.h"
#include "kernels/cpu/avx512_target.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/sgemm_avx512.h"

namespace kernels::cpu {

using engine::Tensor;

#ifdef DREAMBOX_AVX512_KERNEL

namespace {

constexpr int kTile = 4;                  // output pixels per tile side (m)
constexpr int kAlpha = kTile + 2;         // input pixels per tile side (m + r - 1)
constexpr int kPoints = kAlpha * kAlpha;  // points of a transformed tile = GEMMs
constexpr int kLanes = 16;                // channels per AVX-512 vector

template <std::size_t P, std::size_t Q>
using Matrix = std::array<std::array<float, Q>, P>;

template <std::size_t P, std::size_t Q>
constexpr Matrix<Q, P> transpose(const Matrix<P, Q>& m) {
  Matrix<Q, P> t{};
  for (std::size_t i = 0; i < P; ++i)
    for (std::size_t j = 0; j < Q; ++j) t[j][i] = m[i][j];
  return t;
}

// F(4, 3) with the interpolation points 0, 1, -1, 2, -2 and infinity: B^T (input), G (weight),
// A^T (output) as in Lavin & Gray; the adjoints use G^T and A.
constexpr Matrix<6, 6> kBT = {{{4, 0, -5, 0, 1, 0},
                               {0, -4, -4, 1, 1, 0},
                               {0, 4, -4, -1, 1, 0},
                               {0, -2, -1, 2, 1, 0},
                               {0, 2, -1, -2, 1, 0},
                               {0, 4, 0, -5, 0, 1}}};
constexpr Matrix<6, 3> kG = {{{1.f / 4, 0, 0},
                              {-1.f / 6, -1.f / 6, -1.f / 6},
                              {-1.f / 6, 1.f / 6, -1.f / 6},
                              {1.f / 24, 1.f / 12, 1.f / 6},
                              {1.f / 24, -1.f / 12, 1.f / 6},
                              {0, 0, 1}}};
constexpr Matrix<4, 6> kAT = {
    {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
constexpr Matrix<3, 6> kGT = transpose(kG);
constexpr Matrix<6, 4> kA = transpose(kAT);

// sum_i row[i] * x[i * stride] for a constant row: zeros skipped, +-1 as an add or subtract.
template <std::size_t Q>
AVX512_INLINE __m512 combine(const std::array<float, Q>& row, const __m512* x, int stride) {
  __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (std::size_t i = 0; i < Q; ++i) {
    const float c = row[i];
    if (c == 0.f) continue;
    if (c == 1.f)
      acc = _mm512_add_ps(acc, x[i * stride]);
    else if (c == -1.f)
      acc = _mm512_sub_ps(acc, x[i * stride]);
    else
      acc = _mm512_fmadd_ps(_mm512_set1_ps(c), x[i * stride], acc);
  }
  return acc;
}

// y[b * ys] = sum_i L[b][i] x[i * xs] for one column x of a constant L [P, Q]. B^T and A^T share
// subexpressions (14 and 10 vector operations instead of 28 and 18); other matrices row by row.
template <const auto& L, const auto& M>
constexpr bool is = static_cast<const void*>(&L) == static_cast<const void*>(&M);

template <const auto& L>
AVX512_INLINE void apply(const __m512* x, int xs, __m512* y, int ys) {
  const __m512 two = _mm512_set1_ps(2.f), four = _mm512_set1_ps(4.f);
  if constexpr (is<L, kBT>) {
    const __m512 d0 = x[0], d1 = x[xs], d2 = x[2 * xs], d3 = x[3 * xs], d4 = x[4 * xs],
                 d5 = x[5 * xs], five = _mm512_set1_ps(5.f);
    y[0] = _mm512_fmadd_ps(four, d0, _mm512_fnmadd_ps(five, d2, d4));  // 4 d0 - 5 d2 + d4
    const __m512 s12 = _mm512_add_ps(d1, d2), s34 = _mm512_add_ps(d3, d4);
    y[ys] = _mm512_fnmadd_ps(four, s12, s34);  // -4 d1 - 4 d2 + d3 + d4
    const __m512 d12 = _mm512_sub_ps(d1, d2), d43 = _mm512_sub_ps(d4, d3);
    y[2 * ys] = _mm512_fmadd_ps(four, d12, d43);  // 4 d1 - 4 d2 - d3 + d4
    const __m512 d42 = _mm512_sub_ps(d4, d2), d31 = _mm512_sub_ps(d3, d1);
    y[3 * ys] = _mm512_fmadd_ps(two, d31, d42);   // -2 d1 - d2 + 2 d3 + d4
    y[4 * ys] = _mm512_fnmadd_ps(two, d31, d42);  // 2 d1 - d2 - 2 d3 + d4
    y[5 * ys] = _mm512_fmadd_ps(four, d1, _mm512_fnmadd_ps(five, d3, d5));  // 4 d1 - 5 d3 + d5
  } else if constexpr (is<L, kAT>) {
    const __m512 s12 = _mm512_add_ps(x[xs], x[2 * xs]), d12 = _mm512_sub_ps(x[xs], x[2 * xs]),
                 s34 = _mm512_add_ps(x[3 * xs], x[4 * xs]),
                 d34 = _mm512_sub_ps(x[3 * xs], x[4 * xs]);
    y[0] = _mm512_add_ps(_mm512_add_ps(x[0], s12), s34);  // m0 + m1 + m2 + m3 + m4
    y[ys] = _mm512_fmadd_ps(two, d34, d12);               // m1 - m2 + 2 m3 - 2 m4
    y[2 * ys] = _mm512_fmadd_ps(four, s34, s12);          // m1 + m2 + 4 m3 + 4 m4
    y[3 * ys] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.f), d34, d12),
                              x[5 * xs]);  // m1 - m2 + 8 m3 - 8 m4 + m5
  } else {
#pragma GCC unroll 8
    for (std::size_t b = 0; b < L.size(); ++b) y[b * ys] = combine(L[b], x, xs);
  }
}

// out [P, P] = L @ in [Q, Q] @ L^T for a constant L [P, Q]; each element is a vector of lanes.
template <const auto& L>
AVX512_INLINE void sandwich(const __m512* in, __m512* out) {
  constexpr int P = static_cast<int>(L.size()), Q = static_cast<int>(L[0].size());
  __m512 tmp[P * Q];  // L @ in
#pragma GCC unroll 8
  for (int j = 0; j < Q; ++j) apply<L>(in + j, Q, tmp + j, Q);  // column j
#pragma GCC unroll 8
  for (int a = 0; a < P; ++a) apply<L>(tmp + a * Q, 1, out + a * P, 1);  // row a times L^T
}

// The tiles of the output: a grid of rows x cols 4x4 tiles per image, `count` over the batch;
// tile t = (image * rows + tile row) * cols + tile column.
struct Tiles {
  std::int64_t rows, cols, count;
  explicit Tiles(const Conv2dGeometry& g)
      : rows((g.out_h + kTile - 1) / kTile),
        cols((g.out_w + kTile - 1) / kTile),
        count(g.batch * rows * cols) {}
};

// Floats from one point to the next in a [36, rows, cols] stack of the 36 products' matrices: one
// vector more than rows * cols, so that the 36 points of a tile do not share cache sets (a
// power-of-two stride, e.g. 512 tiles x 32 channels = 64 KiB, maps all 36 into one set of L1 and
// of L2, more than their ways).
std::int64_t point_stride(std::int64_t rows, std::int64_t cols) {
  return rows * cols + kLanes;
}

std::int64_t channel_groups(std::int64_t channels) {
  return (channels + kLanes - 1) / kLanes;
}

// A feature map in 16-channel blocks: [N, ceil(C / 16), height, width, 16], so that one pixel of
// 16 channels is one aligned vector. The conv's maps are placed at an offset inside it, with zeros
// around them (the padding, the overhang of the last tiles, the missing channels of the last
// group).
struct Blocked {
  std::int64_t images, groups, height, width;
  std::int64_t size() const { return images * groups * height * width * kLanes; }
  // Offset of pixel (y, x) of the block (n, group).
  std::int64_t at(std::int64_t n, std::int64_t group, std::int64_t y, std::int64_t x) const {
    return (((n * groups + group) * height + y) * width + x) * kLanes;
  }
};

// Rows [begin, end) (of images * groups * b.height) of dst (blocked) = src [N, C, H, W] with its
// pixel (iy, ix) at (iy + top, ix + left), zeros elsewhere.
void to_blocked(const float* src,
                std::int64_t channels,
                std::int64_t height,
                std::int64_t width,
                std::int64_t top,
                std::int64_t left,
                const Blocked& b,
                float* dst,
                std::int64_t begin,
                std::int64_t end) {
  const std::int64_t plane = height * width;
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t y = row % b.height, group = row / b.height % b.groups,
                       n = row / (b.height * b.groups), iy = y - top;
    const std::int64_t c0 = group * kLanes, lanes = std::min<std::int64_t>(kLanes, channels - c0);
    float* out = dst + b.at(n, group, y, 0);
    // Columns [x0, x1) of the row hold image pixels.
    const std::int64_t x0 = std::clamp<std::int64_t>(left, 0, b.width),
                       x1 = std::clamp<std::int64_t>(left + width, x0, b.width);
    if (iy < 0 || iy >= height || x0 == x1) {
      std::fill(out, out + b.width * kLanes, 0.f);
      continue;
    }
    std::fill(out, out + x0 * kLanes, 0.f);
    std::fill(out + x1 * kLanes, out + b.width * kLanes, 0.f);
    const float* in = src + (n * channels + c0) * plane + iy * width - left;  // in[x]: column x
    std::int64_t x = x0;
    if (lanes == kLanes)  // 16 x 16 transposes: channels x pixels -> pixels x channels
      for (; x + kLanes <= x1; x += kLanes)
        sgemm_transpose16(in + x, plane, out + x * kLanes, kLanes);
    for (; x < x1; ++x) {
      for (std::int64_t l = 0; l < lanes; ++l) out[x * kLanes + l] = in[l * plane + x];
      std::fill(out + x * kLanes + lanes, out + (x + 1) * kLanes, 0.f);
    }
  }
}

// Rows [begin, end) (of N * C/16 groups * height) of dst [N, C, height, width] = the top-left
// height x width pixels of src (blocked).
void from_blocked(const float* src,
                  const Blocked& b,
                  std::int64_t channels,
                  std::int64_t height,
                  std::int64_t width,
                  float* dst,
                  std::int64_t begin,
                  std::int64_t end) {
  const std::int64_t plane = height * width;
  for (std::int64_t row = begin; row < end; ++row) {
    const std::int64_t y = row % height, group = row / height % b.groups,
                       n = row / (height * b.groups);
    const std::int64_t c0 = group * kLanes, lanes = std::min<std::int64_t>(kLanes, channels - c0);
    const float* in = src + b.at(n, group, y, 0);
    float* out = dst + (n * channels + c0) * plane + y * width;  // out[l * plane + x]
    std::int64_t x = 0;
    if (lanes == kLanes)
      for (; x + kLanes <= width; x += kLanes)
        sgemm_transpose16(in + x * kLanes, kLanes, out + x, plane);
    for (; x < width; ++x)
      for (std::int64_t l = 0; l < lanes; ++l) out[l * plane + x] = in[x * kLanes + l];
  }
}

// Item `item` of the transforms: tile row `row` of image n, channels [c0, c0 + 16) of the
// blocked map (mask: those that exist).
struct TileRow {
  std::int64_t n, group, row, c0;
  const Tiles& tiles;
  __mmask16 mask;
  AVX512_INLINE TileRow(std::int64_t item,
                        const Tiles& t,
                        const Blocked& b,
                        std::int64_t channels)
      : n(item / (t.rows * b.groups)),
        group(item / t.rows % b.groups),
        row(item % t.rows),
        c0(group * kLanes),
        tiles(t),
        mask(first_lanes(channels - c0)) {}
  // Index of the tile at column `col` of the row.
  std::int64_t tile(std::int64_t col) const { return (n * tiles.rows + row) * tiles.cols + col; }
};

// dst [36, tiles, channels]: dst[p][t][c] = (L d L^T)[p] for the Q x Q patch d of the blocked map
// src at tile t's corner, channel c; L [6, Q] is B^T (Q = 6: the input transform of the input
// blocked with its padding in place) or A (Q = 4: the adjoint of the output transform, applied to
// grad_out blocked with zeros past its edge). Items are (image, channel group, tile row).
template <const auto& L>
AVX512_TARGET void tile_transform(const float* src,
                                  const Blocked& b,
                                  std::int64_t channels,
                                  const Tiles& tiles,
                                  float* dst,
                                  std::int64_t begin,
                                  std::int64_t end) {
  constexpr int Q = static_cast<int>(L[0].size());
  static_assert(L.size() == kAlpha);
  for (std::int64_t item = begin; item < end; ++item) {
    const TileRow r(item, tiles, b, channels);
    for (std::int64_t col = 0; col < tiles.cols; ++col) {
      const float* in = src + b.at(r.n, r.group, r.row * kTile, col * kTile);
      __m512 d[Q * Q], out[kPoints];
#pragma GCC unroll 6
      for (int i = 0; i < Q; ++i)
#pragma GCC unroll 6
        for (int j = 0; j < Q; ++j) d[i * Q + j] = _mm512_load_ps(in + (i * b.width + j) * kLanes);
      sandwich<L>(d, out);
      float* out_tile = dst + r.tile(col) * channels + r.c0;
#pragma GCC unroll 36
      for (int p = 0; p < kPoints; ++p)
        _mm512_mask_storeu_ps(out_tile + p * point_stride(tiles.count, channels), r.mask, out[p]);
    }
  }
}

// yb (blocked, tiles.rows * 4 x tiles.cols * 4 pixels) = A^T M A of every tile; m [36, tiles, O].
// Items as tile_transform.
AVX512_TARGET void output_transform(const float* m,
                                    const Blocked& b,
                                    std::int64_t channels,
                                    const Tiles& tiles,
                                    float* yb,
                                    std::int64_t begin,
                                    std::int64_t end) {
  for (std::int64_t item = begin; item < end; ++item) {
    const TileRow r(item, tiles, b, channels);
    for (std::int64_t col = 0; col < tiles.cols; ++col) {
      const float* src = m + r.tile(col) * channels + r.c0;
      __m512 in[kPoints], y[kTile * kTile];
#pragma GCC unroll 36
      for (int p = 0; p < kPoints; ++p)
        in[p] = _mm512_maskz_loadu_ps(r.mask, src + p * point_stride(tiles.count, channels));
      sandwich<kAT>(in, y);
      float* out = yb + b.at(r.n, r.group, r.row * kTile, col * kTile);
#pragma GCC unroll 4
      for (int i = 0; i < kTile; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < kTile; ++j)
          _mm512_store_ps(out + (i * b.width + j) * kLanes, y[i * kTile + j]);
    }
  }
}

// dst [cols, rows] = src [rows, cols]^T for the rows [begin, end) of src: 16 x 16 blocks in
// registers, scalar edges.
void transpose(const float* src,
               std::int64_t cols,
               std::int64_t rows,
               float* dst,
               std::int64_t begin,
               std::int64_t end) {
  std::int64_t r = begin;
  for (; r + kLanes <= end; r += kLanes) {
    std::int64_t c = 0;
    for (; c + kLanes <= cols; c += kLanes)
      sgemm_transpose16(src + r * cols + c, cols, dst + c * rows + r, rows);
    for (; c < cols; ++c)
      for (std::int64_t i = r; i < r + kLanes; ++i) dst[c * rows + i] = src[i * cols + c];
  }
  for (; r < end; ++r)
    for (std::int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}

// Runs transpose over the rows of src in blocks of 16 split across the threads.
void parallel_transpose(const float* src, std::int64_t rows, std::int64_t cols, float* dst) {
  const std::int64_t blocks = (rows + kLanes - 1) / kLanes;
  parallel_for(blocks, kLanes * cols, [&](std::int64_t b, std::int64_t e) {
    transpose(src, cols, rows, dst, b * kLanes, std::min(rows, e * kLanes));
  });
}

// Output channels of u rounded up to whole 64-column panels of the GEMM.
std::int64_t panel_columns(std::int64_t out_ch) {
  return (out_ch + kSgemmPanelWidth - 1) / kSgemmPanelWidth * kSgemmPanelWidth;
}

// u [36, O / 64, C, 64] (O rounded up, zeros past it; points point_stride apart): u[p] is
// (G w[o][c] G^T)[p] as a [C, O] matrix in the GEMM's packed panel layout, so the 36 products read
// it in place; from the weights transposed to wt [C * 9, O]. Items are (input channel, 16-output
// group) pairs.
AVX512_TARGET void weight_transform(const float* wt,
                                    std::int64_t in_ch,
                                    std::int64_t out_ch,
                                    float* u,
                                    std::int64_t begin,
                                    std::int64_t end) {
  const std::int64_t columns = panel_columns(out_ch), groups = columns / kLanes;
  for (std::int64_t item = begin; item < end; ++item) {
    const std::int64_t c = item / groups, o0 = item % groups * kLanes;
    const __mmask16 mask = first_lanes(out_ch - o0);
    __m512 k[9], out[kPoints];
#pragma GCC unroll 9
    for (int i = 0; i < 9; ++i) k[i] = _mm512_maskz_loadu_ps(mask, wt + (c * 9 + i) * out_ch + o0);
    sandwich<kG>(k, out);
    float* dst = u + (o0 / kSgemmPanelWidth * in_ch + c) * kSgemmPanelWidth + o0 % kSgemmPanelWidth;
#pragma GCC unroll 36
    for (int p = 0; p < kPoints; ++p)
      _mm512_storeu_ps(dst + p * point_stride(in_ch, columns), out[p]);
  }
}

// gwt [C * 9, O]: gwt[c * 9 + k][o] = (G^T du[.][c][o] G)[k], the adjoint of the weight transform
// (the weight gradient transposed); du [36, C, O]. Items as weight_transform.
AVX512_TARGET void weight_grad_transform(const float* du,
                                         std::int64_t in_ch,
                                         std::int64_t out_ch,
                                         float* gwt,
                                         std::int64_t begin,
                                         std::int64_t end) {
  const std::int64_t groups = channel_groups(out_ch);
  for (std::int64_t item = begin; item < end; ++item) {
    const std::int64_t c = item / groups, o0 = item % groups * kLanes;
    const __mmask16 mask = first_lanes(out_ch - o0);
    __m512 in[kPoints], k[9];
#pragma GCC unroll 36
    for (int p = 0; p < kPoints; ++p)
      in[p] = _mm512_maskz_loadu_ps(mask, du + p * point_stride(in_ch, out_ch) + c * out_ch + o0);
    sandwich<kGT>(in, k);
#pragma GCC unroll 9
    for (int i = 0; i < 9; ++i) _mm512_mask_storeu_ps(gwt + (c * 9 + i) * out_ch + o0, mask, k[i]);
  }
}

// Runs fn(begin, end) over the items (each `tiles` transforms of a few hundred vector operations)
// split across the OpenMP threads.
template <typename Fn>
void for_items(std::int64_t items, std::int64_t tiles, Fn fn) {
  parallel_for(items, 512 * tiles, fn);
}

// Runs fn(first, last) over the 16-channel planes [first, last) of a blocked map split across the
// threads; each thread converts and transforms its own planes (one parallel region, no barrier
// between the layout change and the transform).
template <typename Fn>
void for_planes(const Blocked& b, const Tiles& tiles, Fn fn) {
  parallel_for(b.images * b.groups, 512 * tiles.rows * tiles.cols, fn);
}

// The 36 independent products, one per transformed point, spread over the threads (each product
// then runs single-threaded: sgemm_avx512 does not nest).
template <typename Product>
void for_points(Product product) {
#pragma omp parallel for schedule(dynamic, 1) if (omp_get_max_threads() > 1)
  for (int p = 0; p < kPoints; ++p) product(p);
}

// A 64-byte aligned f32 scratch tensor of `size` elements.
Tensor scratch(std::int64_t size) {
  return engine::empty({size}, {.dtype = engine::DType::f32});
}

// v [36, tiles, C] of x: (B^T d B) of every 6x6 input tile (see tile_transform).
Tensor transformed_input(const Tensor& x, const Conv2dGeometry& g, const Tiles& tiles) {
  const std::int64_t channels = g.in_channels;
  const Blocked b{g.batch, channel_groups(channels), tiles.rows * kTile + 2,
                  tiles.cols * kTile + 2};
  const Tensor xb = scratch(b.size());
  const Tensor v = scratch(kPoints * point_stride(tiles.count, channels));
  for_planes(b, tiles, [&](std::int64_t first, std::int64_t last) {
    to_blocked(x.data_ptr<float>(), channels, g.height, g.width, g.pad_h, g.pad_w, b,
               xb.data_ptr<float>(), first * b.height, last * b.height);
    tile_transform<kBT>(xb.data_ptr<float>(), b, channels, tiles, v.data_ptr<float>(),
                        first * tiles.rows, last * tiles.rows);
  });
  return v;
}

// The blocked layout of the output's tiles (and of grad_out for the weight gradient).
Blocked output_blocks(const Conv2dGeometry& g, const Tiles& tiles) {
  return {g.batch, channel_groups(g.out_channels), tiles.rows * kTile, tiles.cols * kTile};
}

}  // namespace

bool winograd_applies(const Conv2dGeometry& g) {
  constexpr std::int64_t kIndexLimit = std::numeric_limits<std::int32_t>::max() / kLanes;
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 &&
         g.dilation_h == 1 && g.dilation_w == 1 && g.groups == 1 &&
         g.in_channels >= kWinogradMinChannels && g.out_channels >= kWinogradMinChannels &&
         g.batch > 0 && g.out_h > 0 && g.out_w > 0 && g.height * g.width < kIndexLimit &&
         g.out_h * g.out_w < kIndexLimit && g.in_channels * 9 < kIndexLimit &&
         gemm_uses_own_kernel(kLanes, kLanes);
}

void winograd_conv2d_forward(const Tensor& x,
                             const Tensor& weight,
                             const Conv2dGeometry& g,
                             const Tensor& out) {
  ENGINE_CHECK(winograd_applies(g), "winograd_conv2d_forward: geometry not supported");
  const Tiles tiles(g);
  const std::int64_t in_ch = g.in_channels, out_ch = g.out_channels;
  const Tensor wt = scratch(in_ch * 9 * out_ch);  // [C * 9, O]
  parallel_transpose(weight.data_ptr<float>(), out_ch, in_ch * 9, wt.data_ptr<float>());
  const std::int64_t columns = panel_columns(out_ch);
  const Tensor u = scratch(kPoints * point_stride(in_ch, columns));  // [36, O / 64, C, 64]
  for_items(in_ch * (columns / kLanes), 1, [&](std::int64_t b, std::int64_t e) {
    weight_transform(wt.data_ptr<float>(), in_ch, out_ch, u.data_ptr<float>(), b, e);
  });
  const Tensor v = transformed_input(x, g, tiles);           // [36, tiles, C]
  const Tensor m = scratch(kPoints * point_stride(tiles.count, out_ch));  // [36, tiles, O]
  const float *pu = u.data_ptr<float>(), *pv = v.data_ptr<float>();
  float* pm = m.data_ptr<float>();
  for_points([&](int p) {
    // m[p] [tiles, O] = v[p] [tiles, C] @ u[p] [C, O]
    sgemm_avx512_prepacked_b(false, tiles.count, out_ch, in_ch, 1.f,
                             pv + p * point_stride(tiles.count, in_ch), in_ch,
                             pu + p * point_stride(in_ch, columns), 0.f,
                             pm + p * point_stride(tiles.count, out_ch), out_ch);
  });
  const Blocked b = output_blocks(g, tiles);
  const Tensor yb = scratch(b.size());
  for_planes(b, tiles, [&](std::int64_t first, std::int64_t last) {
    output_transform(pm, b, out_ch, tiles, yb.data_ptr<float>(), first * tiles.rows,
                     last * tiles.rows);
    from_blocked(yb.data_ptr<float>(), b, out_ch, g.out_h, g.out_w, out.data_ptr<float>(),
                 first * g.out_h, last * g.out_h);
  });
}

void winograd_conv2d_weight_grad(const Tensor& grad_out,
                                 const Tensor& x,
                                 const Conv2dGeometry& g,
                                 const Tensor& grad_weight) {
  ENGINE_CHECK(winograd_applies(g), "winograd_conv2d_weight_grad: geometry not supported");
  const Tiles tiles(g);
  const std::int64_t in_ch = g.in_channels, out_ch = g.out_channels;
  const Tensor v = transformed_input(x, g, tiles);  // [36, tiles, C]
  const Blocked b = output_blocks(g, tiles);
  const Tensor gb = scratch(b.size());
  const Tensor dm = scratch(kPoints * point_stride(tiles.count, out_ch));  // [36, tiles, O]
  for_planes(b, tiles, [&](std::int64_t first, std::int64_t last) {
    to_blocked(grad_out.data_ptr<float>(), out_ch, g.out_h, g.out_w, 0, 0, b, gb.data_ptr<float>(),
               first * b.height, last * b.height);
    // dm [36, tiles, O]: (A dY A^T) of every 4x4 tile dY of grad_out
    tile_transform<kA>(gb.data_ptr<float>(), b, out_ch, tiles, dm.data_ptr<float>(),
                       first * tiles.rows, last * tiles.rows);
  });
  const Tensor du = scratch(kPoints * point_stride(in_ch, out_ch));  // [36, C, O]
  const float *pv = v.data_ptr<float>(), *pdm = dm.data_ptr<float>();
  float* pdu = du.data_ptr<float>();
  for_points([&](int p) {
    // du[p] [C, O] = v[p]^T [C, tiles] @ dm[p] [tiles, O]
    sgemm_avx512(true, false, in_ch, out_ch, tiles.count, 1.f,
                 pv + p * point_stride(tiles.count, in_ch), in_ch,
                 pdm + p * point_stride(tiles.count, out_ch), out_ch, 0.f,
                 pdu + p * point_stride(in_ch, out_ch), out_ch);
  });
  const Tensor gwt = scratch(in_ch * 9 * out_ch);  // [C * 9, O]
  for_items(in_ch * channel_groups(out_ch), 1, [&](std::int64_t i, std::int64_t e) {
    weight_grad_transform(pdu, in_ch, out_ch, gwt.data_ptr<float>(), i, e);
  });
  parallel_transpose(gwt.data_ptr<float>(), in_ch * 9, out_ch, grad_weight.data_ptr<float>());
}

#else  // no AVX-512 kernel in this build: every conv takes the im2col path

bool winograd_applies(const Conv2dGeometry&) {
  return false;
}

void winograd_conv2d_forward(const Tensor&, const Tensor&, const Conv2dGeometry&, const Tensor&) {
  ENGINE_FAIL("winograd_conv2d_forward: this build has no AVX-512 kernel");
}

void winograd_conv2d_weight_grad(const Tensor&,
                                 const Tensor&,
                                 const Conv2dGeometry&,
                                 const Tensor&) {
  ENGINE_FAIL("winograd_conv2d_weight_grad: this build has no AVX-512 kernel");
}

#endif

}  // namespace kernels::cpu
