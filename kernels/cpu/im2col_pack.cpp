// Implicit im2col for the AVX-512 GEMM: each packed panel is cut from the input rows directly,
// so the 9x-the-input column matrix of a 3x3 conv is never written to or read from memory.
#include "kernels/cpu/im2col_pack.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/avx512_target.h"

namespace kernels::cpu {

namespace {

constexpr int kPanel = kSgemmPanelWidth;

// dst[t] = src[t * stride] for t in [0, count): 16 outputs per vector for strides 1 and 2 (two
// vectors and a permute), the last 16 or fewer through masked loads that read nothing past
// src[(count - 1) * stride].
#ifdef DREAMBOX_AVX512_KERNEL
AVX512_INLINE void copy_strided(const float* src,
                                std::int64_t stride,
                                std::int64_t count,
                                float* dst) {
  if (stride == 1) {
    std::int64_t t = 0;
    for (; t + 16 <= count; t += 16) _mm512_storeu_ps(dst + t, _mm512_loadu_ps(src + t));
    const __mmask16 m = first_lanes(count - t);
    _mm512_mask_storeu_ps(dst + t, m, _mm512_maskz_loadu_ps(m, src + t));
    return;
  }
  if (stride == 2) {
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    std::int64_t t = 0;
    for (; t + 16 < count; t += 16) {  // reads src[2 t .. 2 t + 31], all below 2 count - 2
      const __m512 lo = _mm512_loadu_ps(src + 2 * t), hi = _mm512_loadu_ps(src + 2 * t + 16);
      _mm512_storeu_ps(dst + t, _mm512_permutex2var_ps(lo, even, hi));
    }
    const std::int64_t reads = 2 * (count - t) - 1;  // up to 31 elements for the last outputs
    const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(reads), src + 2 * t);
    const __m512 hi = _mm512_maskz_loadu_ps(first_lanes(reads - 16), src + 2 * t + 16);
    _mm512_mask_storeu_ps(dst + t, first_lanes(count - t), _mm512_permutex2var_ps(lo, even, hi));
    return;
  }
  for (std::int64_t t = 0; t < count; ++t) dst[t] = src[t * stride];
}
#else
inline void copy_strided(const float* src, std::int64_t stride, std::int64_t count, float* dst) {
  for (std::int64_t t = 0; t < count; ++t) dst[t] = src[t * stride];
}
#endif

// Columns [ow, ow + count) of output row oh of image `image`: one stretch of a range of im2col
// columns that stays within an output row (and a packed panel); stored from dst[offset] on.
struct Run {
  std::int64_t image, oh, ow, count, offset;
};

// The runs of the im2col columns [column, column + count), cut at every multiple of `panel`
// columns into the range; offset(at) places the run that starts `at` columns into the range.
template <typename Offset>
void split_runs(const Conv2dGeometry& g,
                std::int64_t column,
                std::int64_t count,
                std::int64_t panel,
                Offset offset,
                std::vector<Run>& runs) {
  runs.clear();
  const std::int64_t plane = g.out_h * g.out_w;
  std::int64_t image = column / plane, oh = column % plane / g.out_w, ow = column % g.out_w;
  for (std::int64_t at = 0; at < count;) {
    const std::int64_t run = std::min({count - at, g.out_w - ow, panel - at % panel});
    runs.push_back({image, oh, ow, run, offset(at)});
    at += run;
    ow += run;
    if (ow == g.out_w) {
      ow = 0;
      if (++oh == g.out_h) oh = 0, ++image;
    }
  }
}

// The im2col row (channel c, tap ki, kj), stepped one row at a time without divisions.
struct RowCursor {
  std::int64_t c, ki, kj;
  RowCursor(const Conv2dGeometry& g, std::int64_t row)
      : c(row / (g.kernel_h * g.kernel_w)),
        ki(row / g.kernel_w % g.kernel_h),
        kj(row % g.kernel_w) {}
  void next(const Conv2dGeometry& g) {
    if (++kj < g.kernel_w) return;
    kj = 0;
    if (++ki < g.kernel_h) return;
    ki = 0;
    ++c;
  }
};

// Per call: the runs of the columns and, per horizontal tap kj, the outputs [lo, hi) whose input
// column lies inside the image.
struct RowSpans {
  std::vector<Run> runs;
  std::vector<ValidRange> valid;
  explicit RowSpans(const Conv2dGeometry& g) {
    for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
      valid.push_back(valid_outputs(kj * g.dilation_w - g.pad_w, g.stride_w, g.width, g.out_w));
  }
};

// dst[run.offset + t] = im2col row `r` at the runs' columns (zero where the field reads padding).
AVX512_TARGET void fill_row(const Im2colView& v,
                            const RowCursor& r,
                            const RowSpans& s,
                            float* dst) {
  const Conv2dGeometry& g = *v.g;
  const std::int64_t offset = r.kj * g.dilation_w - g.pad_w;
  const ValidRange valid = s.valid[r.kj];
  const float* channel = v.x + r.c * g.height * g.width;
  for (const Run& run : s.runs) {
    float* out = dst + run.offset;
    const std::int64_t ih = run.oh * g.stride_h - g.pad_h + r.ki * g.dilation_h;
    if (ih < 0 || ih >= g.height) {
      std::fill(out, out + run.count, 0.f);
      continue;
    }
    // out[t - ow] = in[t * stride + offset] for output columns t in [a, b), zero elsewhere.
    const float* in = channel + run.image * v.image_stride + ih * g.width;
    const std::int64_t end = run.ow + run.count;
    const std::int64_t a = std::clamp(valid.lo, run.ow, end), b = std::clamp(valid.hi, a, end);
    std::fill(out, out + (a - run.ow), 0.f);
    copy_strided(in + a * g.stride_w + offset, g.stride_w, b - a, out + (a - run.ow));
    std::fill(out + (b - run.ow), out + run.count, 0.f);
  }
}

// The panels of im2col rows [p0, p0 + kc) x columns [j0, j0 + nc) (see SgemmPackB), one im2col
// row across all the panels at a time: consecutive rows (the taps of a channel) read the same few
// input rows, from L1.
AVX512_TARGET void pack_rows(const Im2colView& view,
                             std::int64_t p0,
                             std::int64_t kc,
                             std::int64_t j0,
                             std::int64_t nc,
                             float* dst) {
  const Conv2dGeometry& g = *view.g;
  RowSpans spans(g);
  split_runs(
      g, j0, nc, kPanel, [kc](std::int64_t at) { return at / kPanel * kc * kPanel + at % kPanel; },
      spans.runs);
  float* last = dst + (nc - 1) / kPanel * kc * kPanel;  // the last panel: zeros past nc
  const std::int64_t width = nc - (nc - 1) / kPanel * kPanel;
  RowCursor row(g, p0);
  for (std::int64_t p = 0; p < kc; ++p, row.next(g)) {
    fill_row(view, row, spans, dst + p * kPanel);
    std::fill(last + p * kPanel + width, last + (p + 1) * kPanel, 0.f);
  }
}

// The panels of the transpose: steps are im2col columns (pixels) [p0, p0 + kc), panel columns
// im2col rows [j0, j0 + nc). 16 rows are cut into a scratch block at a time and transposed into
// the panel, so the writes stay local.
AVX512_TARGET void pack_rows_transposed(const Im2colView& view,
                                        std::int64_t p0,
                                        std::int64_t kc,
                                        std::int64_t j0,
                                        std::int64_t nc,
                                        float* dst) {
  constexpr int kRows = 16;
  const Conv2dGeometry& g = *view.g;
  thread_local std::vector<float> scratch;
  scratch.resize(kRows * kc);
  RowSpans spans(g);
  split_runs(
      g, p0, kc, kc, [](std::int64_t at) { return at; }, spans.runs);
  RowCursor row(g, j0);
  for (std::int64_t jp = 0; jp < nc; jp += kPanel, dst += kc * kPanel) {
    const std::int64_t width = std::min<std::int64_t>(kPanel, nc - jp);
    for (std::int64_t r0 = 0; r0 < kPanel; r0 += kRows) {
      const std::int64_t rows = std::clamp<std::int64_t>(width - r0, 0, kRows);
      for (std::int64_t r = 0; r < rows; ++r, row.next(g))
        fill_row(view, row, spans, scratch.data() + r * kc);
      for (std::int64_t r = rows; r < kRows; ++r)
        std::fill(scratch.data() + r * kc, scratch.data() + (r + 1) * kc, 0.f);
      std::int64_t p = 0;
      for (; p + 16 <= kc; p += 16)
        sgemm_transpose16(scratch.data() + p, kc, dst + p * kPanel + r0, kPanel);
      for (; p < kc; ++p)
        for (int r = 0; r < kRows; ++r) dst[p * kPanel + r0 + r] = scratch[r * kc + p];
    }
  }
}

}  // namespace

ValidRange valid_outputs(std::int64_t offset,
                         std::int64_t stride,
                         std::int64_t width,
                         std::int64_t outputs) {
  const auto ceil_div = [](std::int64_t a, std::int64_t b) {
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
  };
  const std::int64_t lo = std::clamp<std::int64_t>(ceil_div(-offset, stride), 0, outputs);
  const std::int64_t hi = std::clamp<std::int64_t>(ceil_div(width - offset, stride), lo, outputs);
  return {lo, hi};
}

SgemmPackB pack_im2col(const Im2colView& view) {
  // Steps are im2col rows, panel columns are im2col columns.
  return [view](std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t nc, float* dst) {
    pack_rows(view, p0, kc, j0, nc, dst);
  };
}

SgemmPackB pack_im2col_transposed(const Im2colView& view) {
  return [view](std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t nc, float* dst) {
    pack_rows_transposed(view, p0, kc, j0, nc, dst);
  };
}

}  // namespace kernels::cpu
