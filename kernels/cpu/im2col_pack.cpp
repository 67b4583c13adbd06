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

namespace {

#ifdef DREAMBOX_AVX512_KERNEL
// Lanes of the 16 values from in[t] on that lie inside a row of `width` values.
AVX512_INLINE __mmask16 inside(std::int64_t t, std::int64_t width) {
  return static_cast<__mmask16>(first_lanes(width - t) & ~first_lanes(-t));
}

// The band rows (one per column phase b < stride, `step` floats apart) from source row `in` for
// strides 1 and 2 and ld a multiple of 16: dst[b * step + q] = in[stride * q + b + col0] (zero
// outside [0, width)), 16 outputs of every phase per one or two masked loads (lanes outside the
// row are neither read nor kept).
AVX512_INLINE void phase_row_vectors(const float* in,
                                     std::int64_t width,
                                     std::int64_t stride,
                                     std::int64_t col0,
                                     std::int64_t ld,
                                     std::int64_t step,
                                     float* dst) {
  if (stride == 1) {
    for (std::int64_t q = 0; q < ld; q += 16) {
      const std::int64_t t = q + col0;
      _mm512_storeu_ps(dst + q, _mm512_maskz_loadu_ps(inside(t, width), in + t));
    }
    return;
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (std::int64_t q = 0; q < ld; q += 16) {
    const std::int64_t t = 2 * q + col0;
    const __m512 lo = _mm512_maskz_loadu_ps(inside(t, width), in + t);
    const __m512 hi = _mm512_maskz_loadu_ps(inside(t + 16, width), in + t + 16);
    _mm512_storeu_ps(dst + q, _mm512_permutex2var_ps(lo, even, hi));
    _mm512_storeu_ps(dst + step + q, _mm512_permutex2var_ps(lo, odd, hi));
  }
}
#endif

}  // namespace

// fill_phase_band asks for the rows of the channel this many channels ahead while it copies one
// (measured: halves the time of a layer2 3x3 stride-2 band fill, whose 5 KiB runs of input rows
// 64 KiB apart otherwise wait on memory at every channel).
constexpr std::int64_t kAhead = 2;
AVX512_TARGET void fill_phase_band(const PhaseBand& band, float* dst) {
  std::vector<ValidRange> valid;  // per column phase b: the plane columns inside the image
  for (std::int64_t b = 0; b < band.stride_w; ++b)
    valid.push_back(valid_outputs(b + band.col0, band.stride_w, band.width, band.ld));
  const std::int64_t step = band.rows * band.ld;  // from one column phase's plane to the next
  const std::int64_t ih0 = std::max<std::int64_t>(band.row0, 0);
  const std::int64_t ih1 = std::min(band.height, band.row0 + band.stride_h * band.rows);
  for (std::int64_t c = 0; c < band.channels; ++c) {
    if (c + kAhead < band.channels && ih0 < ih1) {
      const char* next =
          reinterpret_cast<const char*>(band.src + ((c + kAhead) * band.height + ih0) * band.width);
      const auto bytes = static_cast<std::int64_t>((ih1 - ih0) * band.width * sizeof(float));
      for (std::int64_t at = 0; at < bytes; at += 64) __builtin_prefetch(next + at);
    }
    for (std::int64_t r = 0; r < band.rows; ++r)
      for (std::int64_t a = 0; a < band.stride_h; ++a) {  // source rows in memory order
        const std::int64_t ih = band.stride_h * r + a + band.row0;
        float* out = dst + ((c * band.stride_h + a) * band.stride_w * band.rows + r) * band.ld;
        if (ih < 0 || ih >= band.height) {
          for (std::int64_t b = 0; b < band.stride_w; ++b)
            std::fill(out + b * step, out + b * step + band.ld, 0.f);
          continue;
        }
        const float* in = band.src + (c * band.height + ih) * band.width;
#ifdef DREAMBOX_AVX512_KERNEL
        if (band.stride_w <= 2 && band.ld % 16 == 0) {
          phase_row_vectors(in, band.width, band.stride_w, band.col0, band.ld, step, out);
          continue;
        }
#endif
        for (std::int64_t b = 0; b < band.stride_w; ++b, out += step) {
          const auto [lo, hi] = valid[static_cast<std::size_t>(b)];
          std::fill(out, out + lo, 0.f);
          copy_strided(in + band.stride_w * lo + b + band.col0, band.stride_w, hi - lo, out + lo);
          std::fill(out + hi, out + band.ld, 0.f);
        }
      }
  }
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
