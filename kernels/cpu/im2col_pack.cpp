// Implicit im2col for the AVX-512 GEMM: each packed panel is cut from the input rows directly,
// so the 9x-the-input column matrix of a 3x3 conv is never written to or read from memory.
#include "kernels/cpu/im2col_pack.h"

#include <algorithm>
#include <vector>

namespace kernels::cpu {

namespace {

constexpr int kPanel = kSgemmPanelWidth;

// dst[0 .. count) = im2col row `row`, columns [column, column + count) (may span output rows and
// images). Per output row the in-image span is a plain (for stride 1 contiguous) copy.
void im2col_segment(
    const Im2colView& v, std::int64_t row, std::int64_t column, std::int64_t count, float* dst) {
  const Conv2dGeometry& g = *v.g;
  const std::int64_t kj = row % g.kernel_w, ki = (row / g.kernel_w) % g.kernel_h,
                     c = row / (g.kernel_w * g.kernel_h);
  const std::int64_t offset = kj * g.dilation_w - g.pad_w;
  const auto [lo, hi] = valid_outputs(offset, g.stride_w, g.width, g.out_w);
  const std::int64_t plane = g.out_h * g.out_w;
  std::int64_t image = column / plane, oh = column % plane / g.out_w, ow = column % g.out_w;
  while (count > 0) {
    const std::int64_t run = std::min(count, g.out_w - ow), end = ow + run;
    const std::int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
    if (ih < 0 || ih >= g.height) {
      std::fill(dst, dst + run, 0.f);
    } else {
      // dst[t - ow] = in[t * stride + offset] for output columns t in [a, b), zero elsewhere.
      const float* in = v.x + image * v.image_stride + (c * g.height + ih) * g.width;
      const std::int64_t a = std::clamp(lo, ow, end), b = std::clamp(hi, a, end);
      std::fill(dst, dst + (a - ow), 0.f);
      if (g.stride_w == 1)
        std::copy(in + a + offset, in + b + offset, dst + (a - ow));
      else
        for (std::int64_t t = a; t < b; ++t) dst[t - ow] = in[t * g.stride_w + offset];
      std::fill(dst + (b - ow), dst + run, 0.f);
    }
    dst += run;
    count -= run;
    ow = end;
    if (ow == g.out_w) {
      ow = 0;
      if (++oh == g.out_h) oh = 0, ++image;
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
    for (std::int64_t jp = 0; jp < nc; jp += kPanel, dst += kc * kPanel) {
      const std::int64_t width = std::min<std::int64_t>(kPanel, nc - jp);
      for (std::int64_t p = 0; p < kc; ++p) {
        float* step = dst + p * kPanel;
        im2col_segment(view, p0 + p, j0 + jp, width, step);
        std::fill(step + width, step + kPanel, 0.f);
      }
    }
  };
}

SgemmPackB pack_im2col_transposed(const Im2colView& view) {
  // Steps are im2col columns (pixels), panel columns are im2col rows: 16 rows are cut into a
  // scratch block at a time and transposed into the panel, so the writes stay local.
  return [view](std::int64_t p0, std::int64_t kc, std::int64_t j0, std::int64_t nc, float* dst) {
    constexpr int kRows = 16;
    thread_local std::vector<float> scratch;
    scratch.resize(kRows * kc);
    for (std::int64_t jp = 0; jp < nc; jp += kPanel, dst += kc * kPanel) {
      const std::int64_t width = std::min<std::int64_t>(kPanel, nc - jp);
      for (std::int64_t r0 = 0; r0 < kPanel; r0 += kRows) {
        const std::int64_t rows = std::clamp<std::int64_t>(width - r0, 0, kRows);
        for (std::int64_t r = 0; r < rows; ++r)
          im2col_segment(view, j0 + jp + r0 + r, p0, kc, scratch.data() + r * kc);
        for (std::int64_t r = rows; r < kRows; ++r)
          std::fill(scratch.data() + r * kc, scratch.data() + (r + 1) * kc, 0.f);
        std::int64_t p = 0;
        for (; p + 16 <= kc; p += 16)
          sgemm_transpose16(scratch.data() + p, kc, dst + p * kPanel + r0, kPanel);
        for (; p < kc; ++p)
          for (int r = 0; r < kRows; ++r) dst[p * kPanel + r0 + r] = scratch[r * kc + p];
      }
    }
  };
}

}  // namespace kernels::cpu
