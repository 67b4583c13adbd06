// Input gradient of a strided conv by phases: per block of a row phase's rows, the grad_out rows it
// reads are copied into a zero-padded band, each column phase's rows are products of that phase's
// packed weights with band rows read in place, then the column phases are interleaved into grad_x.
#include "kernels/cpu/phase_input_grad.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"
#include "kernels/cpu/avx512_target.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col_pack.h"
#include "kernels/cpu/sgemm_avx512.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// Phase a of one axis: the input positions stride * i + a (i < size) receive grad_out at position
// i + shift + t through the tap first - t * stride, for t < taps (none when taps == 0).
struct AxisPhase {
  std::int64_t first, taps, shift, size;
};

AxisPhase axis_phase(std::int64_t a,
                     std::int64_t kernel,
                     std::int64_t stride,
                     std::int64_t pad,
                     std::int64_t extent) {
  // Input position stride * i + a = o * stride - pad + k needs k = a + pad (mod stride).
  const std::int64_t r = (a + pad) % stride;
  const std::int64_t taps = r < kernel ? (kernel - 1 - r) / stride + 1 : 0;
  const std::int64_t first = r + std::max<std::int64_t>(taps - 1, 0) * stride;
  const std::int64_t size = a < extent ? (extent - a + stride - 1) / stride : 0;
  return {first, taps, (a + pad - first) / stride, size};  // exact division
}

// wp [C, O * ph.taps * pw.taps] = the phase's taps of weight [O, C, kh, kw], transposed:
// wp[c][(o, t, u)] = weight[o][c][ph.first - t * stride_h][pw.first - u * stride_w].
void phase_weights(
    const float* w, const Conv2dGeometry& g, const AxisPhase& ph, const AxisPhase& pw, float* wp) {
  const std::int64_t depth = g.out_channels * ph.taps * pw.taps;
  for (std::int64_t c = 0; c < g.in_channels; ++c)
    for (std::int64_t o = 0; o < g.out_channels; ++o)
      for (std::int64_t t = 0; t < ph.taps; ++t)
        for (std::int64_t u = 0; u < pw.taps; ++u)
          wp[c * depth + (o * ph.taps + t) * pw.taps + u] =
              w[((o * g.in_channels + c) * g.kernel_h + ph.first - t * g.stride_h) * g.kernel_w +
                pw.first - u * g.stride_w];
}

// dst[2 j] = even[j] (j < n_even), dst[2 j + 1] = odd[j] (j < n_odd, n_odd is n_even or
// n_even - 1); a null source stands for zeros.
#ifdef DREAMBOX_AVX512_KERNEL
AVX512_TARGET void interleave2(
    const float* even, const float* odd, std::int64_t n_even, std::int64_t n_odd, float* dst) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi =
      _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  std::int64_t j = 0;
  for (; j + 16 <= n_odd; j += 16) {
    const __m512 e = even ? _mm512_loadu_ps(even + j) : _mm512_setzero_ps();
    const __m512 o = odd ? _mm512_loadu_ps(odd + j) : _mm512_setzero_ps();
    _mm512_storeu_ps(dst + 2 * j, _mm512_permutex2var_ps(e, lo, o));
    _mm512_storeu_ps(dst + 2 * j + 16, _mm512_permutex2var_ps(e, hi, o));
  }
  for (; j < n_even; ++j) {
    dst[2 * j] = even ? even[j] : 0.f;
    if (j < n_odd) dst[2 * j + 1] = odd ? odd[j] : 0.f;
  }
}
#endif

// One piece of work: rows [i0, i1) of row phase a of image n, all channels and column phases.
struct Item {
  std::int64_t n, a, i0, i1;
};

// Phase rows per item: about this many grad_x pixels per column phase, so that an item's products
// are a few hundred columns wide and their results stay in L2.
constexpr std::int64_t kItemPixels = 256;

// Per column phase b, cols[b] [C, (i1 - i0) * columns[b].size] = that phase's product for the
// item's rows (null: no taps, zeros); grad_x rows stride_h * i + a (i in [i0, i1)) of image n,
// every channel = the column phases' rows interleaved.
void scatter_item(const std::vector<const float*>& cols,
                  const std::vector<AxisPhase>& columns,
                  const Item& item,
                  const Conv2dGeometry& g,
                  float* grad_x) {
  const std::int64_t s = g.stride_w, rows = item.i1 - item.i0;
  for (std::int64_t c = 0; c < g.in_channels; ++c)
    for (std::int64_t i = 0; i < rows; ++i) {
      // Row i of channel c of column phase b (null for zeros).
      const auto source = [&](std::int64_t b) -> const float* {
        const std::int64_t width = columns[b].size;
        return cols[b] == nullptr ? nullptr : cols[b] + (c * rows + i) * width;
      };
      float* dst =
          grad_x +
          ((item.n * g.in_channels + c) * g.height + g.stride_h * (item.i0 + i) + item.a) * g.width;
#ifdef DREAMBOX_AVX512_KERNEL
      if (s == 2) {
        interleave2(source(0), source(1), columns[0].size, columns[1].size, dst);
        continue;
      }
#endif
      for (std::int64_t b = 0; b < s; ++b) {
        const float* src = source(b);
        for (std::int64_t j = 0; j < columns[b].size; ++j) dst[s * j + b] = src ? src[j] : 0.f;
      }
    }
}

}  // namespace

bool phase_input_grad_applies(const Conv2dGeometry& g) {
  return g.groups == 1 && g.dilation_h == 1 && g.dilation_w == 1 &&
         (g.stride_h > 1 || g.stride_w > 1) && g.batch > 0 && g.height > 0 && g.width > 0 &&
         gemm_uses_own_kernel(g.in_channels,
                              g.batch * (g.height / g.stride_h) * (g.width / g.stride_w));
}

void phase_input_grad(const Tensor& grad_out,
                      const Tensor& weight,
                      const Conv2dGeometry& g,
                      const Tensor& grad_x) {
  ENGINE_CHECK(phase_input_grad_applies(g), "phase_input_grad: geometry not supported");
  std::vector<AxisPhase> rows, columns;
  for (std::int64_t a = 0; a < g.stride_h; ++a)
    rows.push_back(axis_phase(a, g.kernel_h, g.stride_h, g.pad_h, g.height));
  for (std::int64_t b = 0; b < g.stride_w; ++b)
    columns.push_back(axis_phase(b, g.kernel_w, g.stride_w, g.pad_w, g.width));
  const std::int64_t widest = std::max<std::int64_t>(columns[0].size, 1);
  const std::int64_t per_item = std::max<std::int64_t>(1, kItemPixels / widest);
  // The grad_out band of an item: rows i0 + shift .. of its row phase (band rows per row phase),
  // the grad_out columns [first, first + ld) every column phase reads (zero outside grad_out).
  std::int64_t first = 0, last = 0;
  for (const AxisPhase& pw : columns)
    if (pw.taps > 0 && pw.size > 0) {
      first = std::min(first, pw.shift);
      last = std::max(last, pw.size + pw.shift + pw.taps - 1);
    }
  const std::int64_t ld = (last - first + 15) / 16 * 16;
  std::vector<std::int64_t> band_rows;
  for (const AxisPhase& ph : rows)
    band_rows.push_back(per_item + std::max<std::int64_t>(ph.taps, 1) - 1);
  // Per phase (a, b): its weights packed [C, O * taps] and where tap (o, t, u) of the item's first
  // row starts in the band.
  std::vector<std::vector<float>> packed(static_cast<std::size_t>(g.stride_h * g.stride_w));
  std::vector<std::vector<std::int64_t>> offsets(packed.size());
  for (std::int64_t a = 0; a < g.stride_h; ++a)
    for (std::int64_t b = 0; b < g.stride_w; ++b) {
      const AxisPhase &ph = rows[static_cast<std::size_t>(a)],
                      &pw = columns[static_cast<std::size_t>(b)];
      const std::int64_t depth = g.out_channels * ph.taps * pw.taps;
      const auto at = static_cast<std::size_t>(a * g.stride_w + b);
      std::vector<float> wp(static_cast<std::size_t>(g.in_channels * depth));
      phase_weights(weight.data_ptr<float>(), g, ph, pw, wp.data());
      packed[at].resize(static_cast<std::size_t>(sgemm_avx512_packed_a_size(g.in_channels, depth)));
      sgemm_avx512_pack_a(g.in_channels, depth, wp.data(), depth, packed[at].data());
      for (std::int64_t o = 0; o < g.out_channels; ++o)
        for (std::int64_t t = 0; t < ph.taps; ++t)
          for (std::int64_t u = 0; u < pw.taps; ++u)
            offsets[at].push_back((o * band_rows[static_cast<std::size_t>(a)] + t) * ld + pw.shift -
                                  first + u);
    }
  std::vector<Item> items;
  for (std::int64_t n = 0; n < g.batch; ++n)
    for (std::int64_t a = 0; a < g.stride_h; ++a)
      for (std::int64_t i0 = 0; i0 < rows[a].size; i0 += per_item)
        items.push_back({n, a, i0, std::min(rows[a].size, i0 + per_item)});
  const float* go = grad_out.data_ptr<float>();
  float* gx = grad_x.data_ptr<float>();
  const std::int64_t image_size = g.out_channels * g.out_h * g.out_w;
  const std::int64_t band_size =
      g.out_channels * *std::max_element(band_rows.begin(), band_rows.end()) * ld;
  // One parallel region: each item's products run single-threaded into the thread's scratch, then
  // its rows are interleaved into grad_x.
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Item& item = items[k];
    const AxisPhase& ph = rows[static_cast<std::size_t>(item.a)];
    const std::int64_t item_rows = item.i1 - item.i0;
    thread_local std::vector<float> scratch;  // per column phase [C, rows * columns[b].size]
    scratch.resize(static_cast<std::size_t>(g.stride_w * g.in_channels * item_rows * widest));
    thread_local std::vector<float> band;  // [O, band rows, ld] and readable zeros after it
    if (static_cast<std::int64_t>(band.size()) < band_size + kSgemmPanelWidth)
      band.assign(static_cast<std::size_t>(band_size + kSgemmPanelWidth), 0.f);
    if (ph.taps > 0)
      fill_phase_band({go + item.n * image_size, g.out_channels, g.out_h, g.out_w, 1, 1,
                       item.i0 + ph.shift, first, band_rows[static_cast<std::size_t>(item.a)], ld},
                      band.data());
    std::vector<const float*> cols;
    for (std::int64_t b = 0; b < g.stride_w; ++b) {
      const AxisPhase& pw = columns[static_cast<std::size_t>(b)];
      if (ph.taps == 0 || pw.taps == 0 || pw.size == 0) {
        cols.push_back(nullptr);
        continue;
      }
      const auto at = static_cast<std::size_t>(item.a * g.stride_w + b);
      const std::int64_t depth = g.out_channels * ph.taps * pw.taps;
      float* col = scratch.data() + b * g.in_channels * item_rows * widest;
      for (std::int64_t i = 0; i < item_rows; ++i)
        // col[:, row i] [C, pw.size] = wp [C, O * taps] @ (band rows of the taps) [O * taps,
        // pw.size]
        sgemm_avx512_offset_b(g.in_channels, pw.size, depth, packed[at].data(),
                              band.data() + i * ld, offsets[at].data(), false, col + i * pw.size,
                              item_rows * pw.size);
      cols.push_back(col);
    }
    scatter_item(cols, columns, item, g, gx);
  }
}

}  // namespace kernels::cpu
