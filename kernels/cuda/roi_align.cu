// RoIAlign kernels: every output bin (box, channel, ph, pw) is one thread that walks its sampling
// grid; the bilinear taps follow torchvision's bilinear_interpolate boundary rules.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/roi_align.h"

namespace kernels::cuda {
namespace {

struct Taps {
  std::int64_t pos[4];  // y * W + x of the four neighbours
  float w[4];
  bool valid;  // false beyond one pixel outside the map
};

__device__ Taps bilinear_taps(float y, float x, std::int64_t height, std::int64_t width) {
  Taps t{};
  if (y < -1.0f || y > static_cast<float>(height) || x < -1.0f || x > static_cast<float>(width)) {
    t.valid = false;
    return t;
  }
  if (y <= 0.0f) y = 0.0f;
  if (x <= 0.0f) x = 0.0f;
  std::int64_t y_low = static_cast<std::int64_t>(y), x_low = static_cast<std::int64_t>(x), y_high,
               x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<float>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<float>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const float ly = y - static_cast<float>(y_low), lx = x - static_cast<float>(x_low);
  const float hy = 1.0f - ly, hx = 1.0f - lx;
  t.w[0] = hy * hx;
  t.w[1] = hy * lx;
  t.w[2] = ly * hx;
  t.w[3] = ly * lx;
  t.pos[0] = y_low * width + x_low;
  t.pos[1] = y_low * width + x_high;
  t.pos[2] = y_high * width + x_low;
  t.pos[3] = y_high * width + x_high;
  t.valid = true;
  return t;
}

// One bin's sampling grid: the sample (iy, ix) sits at (y0 + (iy + .5) bin_h / grid_h, ...).
struct Bin {
  std::int64_t batch, grid_h, grid_w;
  float y0, x0, bin_h, bin_w, count;  // count = max(grid_h * grid_w, 1), the divisor
  __device__ float sample_y(std::int64_t iy) const {
    return __fadd_rn(
        y0, __fdiv_rn(__fmul_rn(static_cast<float>(iy) + 0.5f, bin_h), static_cast<float>(grid_h)));
  }
  __device__ float sample_x(std::int64_t ix) const {
    return __fadd_rn(
        x0, __fdiv_rn(__fmul_rn(static_cast<float>(ix) + 0.5f, bin_w), static_cast<float>(grid_w)));
  }
};

// The bin (ph, pw) of box `roi` = (batch, x1, y1, x2, y2), in the oracle's float operations.
__device__ Bin
make_bin(const float* roi, const RoiAlignParams& p, float scale, std::int64_t ph, std::int64_t pw) {
  const float offset = p.aligned ? 0.5f : 0.0f;
  const float start_w = __fsub_rn(__fmul_rn(roi[1], scale), offset),
              start_h = __fsub_rn(__fmul_rn(roi[2], scale), offset);
  const float end_w = __fsub_rn(__fmul_rn(roi[3], scale), offset),
              end_h = __fsub_rn(__fmul_rn(roi[4], scale), offset);
  float roi_w = end_w - start_w, roi_h = end_h - start_h;
  if (!p.aligned) {  // legacy mode: boxes are at least one pixel
    roi_w = fmaxf(roi_w, 1.0f);
    roi_h = fmaxf(roi_h, 1.0f);
  }
  Bin b;
  b.batch = static_cast<std::int64_t>(roi[0]);
  b.bin_h = __fdiv_rn(roi_h, static_cast<float>(p.pooled_height));
  b.bin_w = __fdiv_rn(roi_w, static_cast<float>(p.pooled_width));
  b.grid_h = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<std::int64_t>(ceilf(b.bin_h));
  b.grid_w = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<std::int64_t>(ceilf(b.bin_w));
  // An inverted aligned box gives a non-positive adaptive grid: no samples, output 0.
  b.count = static_cast<float>(max(b.grid_h * b.grid_w, std::int64_t{1}));
  b.y0 = __fadd_rn(start_h, __fmul_rn(static_cast<float>(ph), b.bin_h));
  b.x0 = __fadd_rn(start_w, __fmul_rn(static_cast<float>(pw), b.bin_w));
  return b;
}

__global__ void roi_align_forward_kernel(const float* x,
                                         std::int64_t channels,
                                         std::int64_t height,
                                         std::int64_t width,
                                         const float* rois,
                                         std::int64_t boxes,
                                         RoiAlignParams p,
                                         float scale,
                                         float* out) {
  const std::int64_t bins = p.pooled_height * p.pooled_width, total = boxes * channels * bins;
  for (std::int64_t o = first_element(); o < total; o += element_stride()) {
    const std::int64_t bin = o % bins, c = (o / bins) % channels, k = o / (bins * channels);
    const Bin b = make_bin(rois + k * 5, p, scale, bin / p.pooled_width, bin % p.pooled_width);
    const float* plane = x + (b.batch * channels + c) * height * width;
    float acc = 0.0f;
    for (std::int64_t iy = 0; iy < b.grid_h; ++iy) {
      const float y = b.sample_y(iy);
      for (std::int64_t ix = 0; ix < b.grid_w; ++ix) {
        const Taps t = bilinear_taps(y, b.sample_x(ix), height, width);
        if (!t.valid) continue;
        acc += t.w[0] * plane[t.pos[0]] + t.w[1] * plane[t.pos[1]] + t.w[2] * plane[t.pos[2]] +
               t.w[3] * plane[t.pos[3]];
      }
    }
    out[o] = acc / b.count;
  }
}

__global__ void roi_align_backward_kernel(const float* grad_out,
                                          const float* rois,
                                          std::int64_t boxes,
                                          RoiAlignParams p,
                                          float scale,
                                          std::int64_t channels,
                                          std::int64_t height,
                                          std::int64_t width,
                                          float* grad_x) {
  const std::int64_t bins = p.pooled_height * p.pooled_width, total = boxes * channels * bins;
  for (std::int64_t o = first_element(); o < total; o += element_stride()) {
    const std::int64_t bin = o % bins, c = (o / bins) % channels, k = o / (bins * channels);
    const Bin b = make_bin(rois + k * 5, p, scale, bin / p.pooled_width, bin % p.pooled_width);
    float* plane = grad_x + (b.batch * channels + c) * height * width;
    const float g = grad_out[o];
    for (std::int64_t iy = 0; iy < b.grid_h; ++iy) {
      const float y = b.sample_y(iy);
      for (std::int64_t ix = 0; ix < b.grid_w; ++ix) {
        const Taps t = bilinear_taps(y, b.sample_x(ix), height, width);
        if (!t.valid) continue;
        for (int i = 0; i < 4; ++i) atomicAdd(plane + t.pos[i], g * t.w[i] / b.count);
      }
    }
  }
}

}  // namespace

void roi_align_forward_f32(const float* x,
                           std::int64_t channels,
                           std::int64_t height,
                           std::int64_t width,
                           const float* rois,
                           std::int64_t boxes,
                           const RoiAlignParams& p,
                           float* out,
                           cudaStream_t stream) {
  const std::int64_t total = boxes * channels * p.pooled_height * p.pooled_width;
  launch_elements(total, stream, roi_align_forward_kernel, x, channels, height, width, rois, boxes,
                  p, static_cast<float>(p.spatial_scale), out);
}

void roi_align_backward_f32(const float* grad_out,
                            const float* rois,
                            std::int64_t boxes,
                            const RoiAlignParams& p,
                            std::int64_t channels,
                            std::int64_t height,
                            std::int64_t width,
                            float* grad_x,
                            cudaStream_t stream) {
  const std::int64_t total = boxes * channels * p.pooled_height * p.pooled_width;
  launch_elements(total, stream, roi_align_backward_kernel, grad_out, rois, boxes, p,
                  static_cast<float>(p.spatial_scale), channels, height, width, grad_x);
}

}  // namespace kernels::cuda
