// Strided conv forward by phase bands: per band of output rows, the input rows it reads are split
// into phase planes in the thread's buffer, then each output row is weight @ (plane rows).
#include "kernels/cpu/phase_conv.h"

#include <algorithm>
#include <vector>

#include "engine/error.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col_pack.h"
#include "kernels/cpu/sgemm_avx512.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// Output rows per band: the band's planes (C * s * s planes of kBandRows + (kh - 1) / s rows)
// stay in L2 next to the packed weights.
constexpr std::int64_t kBandRows = 4;
// Product depth per channel block: its packed weights and band planes share L2.
constexpr std::int64_t kDepthBlock = 512;
// Floats of readable zeros after a band: sgemm_avx512_offset_b reads whole 64-column blocks.
constexpr std::int64_t kSlack = kSgemmPanelWidth;

}  // namespace

bool phase_conv_applies(const Conv2dGeometry& g) {
  const std::int64_t blocks = (g.out_w + kSgemmPanelWidth - 1) / kSgemmPanelWidth;
  return g.groups == 1 && g.dilation_h == 1 && g.dilation_w == 1 &&
         (g.stride_h > 1 || g.stride_w > 1) && g.batch > 0 && g.out_h > 0 && g.out_w > 0 &&
         8 * blocks * kSgemmPanelWidth <= 9 * g.out_w &&
         gemm_uses_own_kernel(g.out_channels, g.out_w);
}

void phase_conv2d_forward(const Tensor& x,
                          const Tensor& weight,
                          const Conv2dGeometry& g,
                          const Tensor& out) {
  ENGINE_CHECK(phase_conv_applies(g), "phase_conv2d_forward: geometry not supported");
  const std::int64_t sh = g.stride_h, sw = g.stride_w, taps = g.kernel_h * g.kernel_w;
  const std::int64_t depth = g.in_channels * taps;
  // Channel blocks of about kDepthBlock taps: block b is channels [b * block, ...).
  const std::int64_t blocks = (depth + kDepthBlock - 1) / kDepthBlock;
  const std::int64_t block = (g.in_channels + blocks - 1) / blocks;
  // The weights [O, C * kh * kw] packed once per channel block (their columns [c0 * taps, c1 *
  // taps)).
  const std::int64_t block_size = sgemm_avx512_packed_a_size(g.out_channels, block * taps);
  std::vector<float> packed(static_cast<std::size_t>(blocks * block_size));
  for (std::int64_t c0 = 0; c0 < g.in_channels; c0 += block)
    sgemm_avx512_pack_a(g.out_channels, (std::min(g.in_channels, c0 + block) - c0) * taps,
                        weight.data_ptr<float>() + c0 * taps, depth,
                        packed.data() + c0 / block * block_size);
  // Band planes [block channels, sh, sw, rows, ld]; tap (c, ki, kj) of the block, output row 0
  // starts at offsets[tap].
  const std::int64_t rows = kBandRows + (g.kernel_h - 1) / sh;
  const std::int64_t ld = (g.out_w + (g.kernel_w - 1) / sw + 15) / 16 * 16;
  std::vector<std::int64_t> offsets;
  for (std::int64_t c = 0; c < block; ++c)
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
        offsets.push_back((((c * sh + ki % sh) * sw + kj % sw) * rows + ki / sh) * ld + kj / sw);
  const std::int64_t band_size = block * sh * sw * rows * ld;
  const std::int64_t bands = (g.out_h + kBandRows - 1) / kBandRows;
  const std::int64_t plane = g.out_h * g.out_w;
  const float* px = x.data_ptr<float>();
  float* po = out.data_ptr<float>();
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t item = 0; item < g.batch * bands; ++item) {
    const std::int64_t n = item / bands, oh0 = item % bands * kBandRows;
    const std::int64_t oh1 = std::min(g.out_h, oh0 + kBandRows);
    thread_local std::vector<float> band;
    if (static_cast<std::int64_t>(band.size()) < band_size + kSlack)
      band.assign(static_cast<std::size_t>(band_size + kSlack), 0.f);
    for (std::int64_t c0 = 0; c0 < g.in_channels; c0 += block) {
      const std::int64_t channels = std::min(g.in_channels, c0 + block) - c0;
      fill_phase_band({px + (n * g.in_channels + c0) * g.height * g.width, channels, g.height,
                       g.width, sh, sw, sh * oh0 - g.pad_h, -g.pad_w, rows, ld},
                      band.data());
      for (std::int64_t oh = oh0; oh < oh1; ++oh)
        // out[n, :, oh, :] [O, out_w] (+)= weight[:, block] [O, channels * taps] @ (plane rows
        // of the taps) [channels * taps, out_w]
        sgemm_avx512_offset_b(g.out_channels, g.out_w, channels * taps,
                              packed.data() + c0 / block * block_size,
                              band.data() + (oh - oh0) * ld, offsets.data(), c0 > 0,
                              po + n * g.out_channels * plane + oh * g.out_w, plane);
    }
  }
}

}  // namespace kernels::cpu
