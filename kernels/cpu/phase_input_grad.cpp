// Input gradient of a strided conv by phases: per row phase, one implicit-im2col GEMM of grad_out
// per column phase into a [C, pixels] scratch, then the column phases interleaved into grad_x rows.
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

// The stride-1 conv of one image of grad_out [O, out_h, out_w] that gives rows [i0, i1) of phase
// (ph, pw) of that image's grad_x: O input channels, C output channels, a taps x taps kernel,
// padding -shift (the window of phase row i starts at grad_out row i + shift).
Conv2dGeometry phase_geometry(const Conv2dGeometry& g,
                              const AxisPhase& ph,
                              const AxisPhase& pw,
                              std::int64_t i0,
                              std::int64_t i1) {
  return {1,
          g.out_channels,
          g.out_h,
          g.out_w,
          g.in_channels,
          ph.taps,
          pw.taps,
          1,
          1,
          1,
          -(ph.shift + i0),
          -pw.shift,
          1,
          1,
          i1 - i0,
          pw.size};
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
  // The phases' weights: weights[a * stride_w + b] [C, O * taps] (empty without taps).
  std::vector<std::vector<float>> weights(static_cast<std::size_t>(g.stride_h * g.stride_w));
  for (std::int64_t a = 0; a < g.stride_h; ++a)
    for (std::int64_t b = 0; b < g.stride_w; ++b) {
      auto& wp = weights[static_cast<std::size_t>(a * g.stride_w + b)];
      wp.resize(static_cast<std::size_t>(g.in_channels * g.out_channels * rows[a].taps *
                                         columns[b].taps));
      phase_weights(weight.data_ptr<float>(), g, rows[a], columns[b], wp.data());
    }
  std::vector<Item> items;
  const std::int64_t widest = std::max<std::int64_t>(columns[0].size, 1);
  const std::int64_t per_item = std::max<std::int64_t>(1, kItemPixels / widest);
  for (std::int64_t n = 0; n < g.batch; ++n)
    for (std::int64_t a = 0; a < g.stride_h; ++a)
      for (std::int64_t i0 = 0; i0 < rows[a].size; i0 += per_item)
        items.push_back({n, a, i0, std::min(rows[a].size, i0 + per_item)});
  const float* go = grad_out.data_ptr<float>();
  float* gx = grad_x.data_ptr<float>();
  const std::int64_t image_size = g.out_channels * g.out_h * g.out_w;
  // One parallel region: each item's products run single-threaded (sgemm_avx512 does not nest)
  // into the thread's scratch, then its rows are interleaved into grad_x.
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Item& item = items[k];
    const AxisPhase& ph = rows[static_cast<std::size_t>(item.a)];
    thread_local std::vector<float> scratch;  // per column phase [C, rows * columns[b].size]
    scratch.resize(
        static_cast<std::size_t>(g.stride_w * g.in_channels * (item.i1 - item.i0) * widest));
    std::vector<const float*> cols;
    for (std::int64_t b = 0; b < g.stride_w; ++b) {
      const AxisPhase& pw = columns[static_cast<std::size_t>(b)];
      if (ph.taps == 0 || pw.taps == 0 || pw.size == 0) {
        cols.push_back(nullptr);
        continue;
      }
      const Conv2dGeometry sub = phase_geometry(g, ph, pw, item.i0, item.i1);
      const std::int64_t depth = g.out_channels * ph.taps * pw.taps, n = sub.out_h * sub.out_w;
      float* col = scratch.data() + b * g.in_channels * (item.i1 - item.i0) * widest;
      // col [C, n] = wp [C, O * taps] @ im2col(grad_out of image n) [O * taps, n]
      const Im2colView view{go + item.n * image_size, image_size, g.out_channels, 1, &sub};
      sgemm_avx512_packed_b(false, g.in_channels, n, depth, 1.f,
                            weights[static_cast<std::size_t>(item.a * g.stride_w + b)].data(),
                            depth, pack_im2col(view), 0.f, col, n);
      cols.push_back(col);
    }
    scatter_item(cols, columns, item, g, gx);
  }
}

}  // namespace kernels::cpu
