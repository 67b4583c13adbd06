// Strided conv by phase bands: per band of output rows and block of input channels, the input
// rows the band reads are split into phase planes in the thread's buffer; each output row of the
// forward is weight @ (plane rows), and the weight gradient adds (plane rows) @ grad_out^T.
#include "kernels/cpu/phase_conv.h"

#include <omp.h>

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
constexpr std::int64_t kPanel = kSgemmPanelWidth;

// How the input is cut: channel blocks of `block` channels (about kDepthBlock taps), bands of
// kBandRows output rows, and the band planes [block, sh, sw, rows, ld] of a block, in which tap
// (c, ki, kj) of the block (row c * taps + ki * kw + kj of the im2col matrix) for the band's first
// output row starts at offsets[tap].
struct BandLayout {
  std::int64_t taps, depth, blocks, block, rows, ld, size, bands;
  std::vector<std::int64_t> offsets;
  explicit BandLayout(const Conv2dGeometry& g)
      : taps(g.kernel_h * g.kernel_w),
        depth(g.in_channels * taps),
        blocks((depth + kDepthBlock - 1) / kDepthBlock),
        block((g.in_channels + blocks - 1) / blocks),
        rows(kBandRows + (g.kernel_h - 1) / g.stride_h),
        ld((g.out_w + (g.kernel_w - 1) / g.stride_w + 15) / 16 * 16),
        size(block * g.stride_h * g.stride_w * rows * ld),
        bands((g.out_h + kBandRows - 1) / kBandRows) {
    const std::int64_t sh = g.stride_h, sw = g.stride_w;
    for (std::int64_t c = 0; c < block; ++c)
      for (std::int64_t ki = 0; ki < g.kernel_h; ++ki)
        for (std::int64_t kj = 0; kj < g.kernel_w; ++kj)
          offsets.push_back((((c * sh + ki % sh) * sw + kj % sw) * rows + ki / sh) * ld + kj / sw);
  }
  // The channels of the block from channel c0 on.
  std::int64_t channels(const Conv2dGeometry& g, std::int64_t c0) const {
    return std::min(g.in_channels, c0 + block) - c0;
  }
  // The thread's band buffer (readable zeros after the planes).
  float* buffer() const {
    thread_local std::vector<float> band;
    if (static_cast<std::int64_t>(band.size()) < size + kSlack)
      band.assign(static_cast<std::size_t>(size + kSlack), 0.f);
    return band.data();
  }
  // Inside a parallel region, bands split over its threads: per band of image n and channel block
  // from c0, fills the block's planes from x in the thread's buffer, then calls
  // row(n, oh, c0, at) for each output row oh of the band, `at` the planes at that row.
  template <typename Row>
  void for_each_row(const float* x, const Conv2dGeometry& g, Row row) const {
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t item = 0; item < g.batch * bands; ++item) {
      const std::int64_t n = item / bands, oh0 = item % bands * kBandRows;
      const std::int64_t oh1 = std::min(g.out_h, oh0 + kBandRows);
      float* planes = buffer();
      for (std::int64_t c0 = 0; c0 < g.in_channels; c0 += block) {
        fill_phase_band(
            {x + (n * g.in_channels + c0) * g.height * g.width, channels(g, c0), g.height, g.width,
             g.stride_h, g.stride_w, g.stride_h * oh0 - g.pad_h, -g.pad_w, rows, ld},
            planes);
        for (std::int64_t oh = oh0; oh < oh1; ++oh) row(n, oh, c0, planes + (oh - oh0) * ld);
      }
    }
  }
};

// gt [N, ceil(O / 64), P, 64] = grad_out [N, O, P] transposed into 64-channel panels (zero
// channels past O).
void transpose_panels(const float* grad_out, const Conv2dGeometry& g, float* gt) {
  const std::int64_t p = g.out_h * g.out_w, panels = (g.out_channels + kPanel - 1) / kPanel;
#pragma omp for schedule(static)
  for (std::int64_t item = 0; item < g.batch * panels; ++item) {
    const std::int64_t n = item / panels, o0 = item % panels * kPanel;
    float* dst = gt + item * p * kPanel;
    for (std::int64_t r0 = 0; r0 < kPanel; r0 += 16) {
      const std::int64_t o = o0 + r0, count = std::clamp<std::int64_t>(g.out_channels - o, 0, 16);
      const float* src = grad_out + (n * g.out_channels + o) * p;
      std::int64_t q = 0;
      if (count == 16)
        for (; q + 16 <= p; q += 16) sgemm_transpose16(src + q, p, dst + q * kPanel + r0, kPanel);
      for (; q < p; ++q)
        for (std::int64_t r = 0; r < 16; ++r)
          dst[q * kPanel + r0 + r] = r < count ? src[r * p + q] : 0.f;
    }
  }
}

}  // namespace

bool phase_conv_applies(const Conv2dGeometry& g) {
  const std::int64_t blocks = (g.out_w + kPanel - 1) / kPanel;
  return g.groups == 1 && g.dilation_h == 1 && g.dilation_w == 1 &&
         (g.stride_h > 1 || g.stride_w > 1) && g.batch > 0 && g.out_h > 0 && g.out_w > 0 &&
         8 * blocks * kPanel <= 9 * g.out_w && gemm_uses_own_kernel(g.out_channels, g.out_w);
}

void phase_conv2d_forward(const Tensor& x,
                          const Tensor& weight,
                          const Conv2dGeometry& g,
                          const Tensor& out) {
  ENGINE_CHECK(phase_conv_applies(g), "phase_conv2d_forward: geometry not supported");
  const BandLayout band(g);
  // The weights [O, C * kh * kw] packed once per channel block (columns [c0, c1) * taps).
  const std::int64_t block_size =
      sgemm_avx512_packed_a_size(g.out_channels, band.block * band.taps);
  std::vector<float> packed(static_cast<std::size_t>(band.blocks * block_size));
  for (std::int64_t c0 = 0; c0 < g.in_channels; c0 += band.block)
    sgemm_avx512_pack_a(g.out_channels, band.channels(g, c0) * band.taps,
                        weight.data_ptr<float>() + c0 * band.taps, band.depth,
                        packed.data() + c0 / band.block * block_size);
  const std::int64_t plane = g.out_h * g.out_w;
  const float* px = x.data_ptr<float>();
  float* po = out.data_ptr<float>();
#pragma omp parallel
  band.for_each_row(px, g, [&](std::int64_t n, std::int64_t oh, std::int64_t c0, const float* at) {
    // out[n, :, oh, :] [O, out_w] (+)= weight[:, block] [O, channels * taps] @ (plane rows of
    // the taps) [channels * taps, out_w]
    sgemm_avx512_offset_b(g.out_channels, g.out_w, band.channels(g, c0) * band.taps,
                          packed.data() + c0 / band.block * block_size, at, band.offsets.data(),
                          c0 > 0, po + n * g.out_channels * plane + oh * g.out_w, plane);
  });
}

void phase_conv2d_weight_grad(const Tensor& grad_out,
                              const Tensor& x,
                              const Conv2dGeometry& g,
                              const Tensor& grad_weight) {
  ENGINE_CHECK(phase_conv_applies(g), "phase_conv2d_weight_grad: geometry not supported");
  const BandLayout band(g);
  const std::int64_t plane = g.out_h * g.out_w, panels = (g.out_channels + kPanel - 1) / kPanel;
  const std::int64_t width = panels * kPanel;  // of a thread's sum
  const Tensor gt =
      engine::empty({g.batch * panels * plane * kPanel}, {.dtype = engine::DType::f32});
  const int threads = omp_get_max_threads();
  // Per thread: its sum [C * kh * kw, width] of grad_weight^T over its bands.
  const Tensor sums = engine::zeros({threads * band.depth * width}, {.dtype = engine::DType::f32});
  const float* px = x.data_ptr<float>();
  float* gw = grad_weight.data_ptr<float>();
#pragma omp parallel num_threads(threads)
  {
    float* sum = sums.data_ptr<float>() + omp_get_thread_num() * band.depth * width;
    transpose_panels(grad_out.data_ptr<float>(), g, gt.data_ptr<float>());  // ends with a barrier
    band.for_each_row(
        px, g, [&](std::int64_t n, std::int64_t oh, std::int64_t c0, const float* at) {
          // sum[block taps] [channels * taps, O] += (plane rows of the taps) [channels * taps,
          // out_w]
          // @ grad_out[n, :, oh, :]^T [out_w, O]
          sgemm_avx512_row_runs_a(
              band.channels(g, c0) * band.taps, g.out_channels, g.out_w, at, band.offsets.data(),
              gt.data_ptr<float>() + (n * panels * plane + oh * g.out_w) * kPanel, plane,
              sum + c0 * band.taps * width, width);
        });
    // grad_weight [O, C * kh * kw] = the threads' sums added and transposed.
    const float* all = sums.data_ptr<float>();
#pragma omp for schedule(static)
    for (std::int64_t o = 0; o < g.out_channels; ++o)
      for (std::int64_t k = 0; k < band.depth; ++k) {
        float total = 0.f;
        for (int t = 0; t < threads; ++t) total += all[(t * band.depth + k) * width + o];
        gw[o * band.depth + k] = total;
      }
  }
}

}  // namespace kernels::cpu
