// Resize kernels: a thread per output element forward; backward, a thread per input element
// binary-searches the (monotone) output rows and columns that sample it and sums their gradients.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/resize.h"

namespace kernels::cuda {
namespace {

// Source index of output i along one axis: min(floor(i * scale), in - 1), scale = in / out.
struct NearestAxis {
  std::int64_t in, out;
  float scale;
  __device__ std::int64_t source(std::int64_t i) const {
    return min(static_cast<std::int64_t>(floorf(__fmul_rn(static_cast<float>(i), scale))), in - 1);
  }
};

struct Tap {
  std::int64_t i0, i1;
  float w0, w1;
};

// Bilinear taps of output i along one axis, float for float as the oracle computes them.
struct BilinearAxis {
  std::int64_t in, out;
  float scale;
  bool align_corners;
  __device__ Tap tap(std::int64_t i) const {
    const float fi = static_cast<float>(i);
    float src = align_corners ? __fmul_rn(scale, fi)
                              : __fsub_rn(__fmul_rn(scale, __fadd_rn(fi, 0.5f)), 0.5f);
    src = fmaxf(src, 0.0f);
    const std::int64_t i0 = min(static_cast<std::int64_t>(src), in - 1);
    const float w1 = fminf(src - static_cast<float>(i0), 1.0f);
    return {i0, i0 + (i0 < in - 1 ? 1 : 0), 1.0f - w1, w1};
  }
  // Weight with which output i samples input s (0 when it does not).
  __device__ float weight(std::int64_t i, std::int64_t s) const {
    const Tap t = tap(i);
    return (t.i0 == s ? t.w0 : 0.0f) + (t.i1 == s ? t.w1 : 0.0f);
  }
};

// The first i in [0, n) with key(i) >= target (n if none); key is non-decreasing.
template <typename Key>
__device__ std::int64_t lower_bound(std::int64_t n, std::int64_t target, Key key) {
  std::int64_t low = 0, high = n;
  while (low < high) {
    const std::int64_t mid = low + (high - low) / 2;
    if (key(mid) < target)
      low = mid + 1;
    else
      high = mid;
  }
  return low;
}

NearestAxis nearest_axis(std::int64_t in, std::int64_t out) {
  return {in, out, static_cast<float>(in) / static_cast<float>(out)};
}
BilinearAxis bilinear_axis(std::int64_t in, std::int64_t out, bool align_corners) {
  const float scale =
      align_corners ? (out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f)
                    : static_cast<float>(in) / static_cast<float>(out);
  return {in, out, scale, align_corners};
}

__global__ void nearest_forward_kernel(
    const float* x, std::int64_t planes, NearestAxis rows, NearestAxis cols, float* out) {
  const std::int64_t total = planes * rows.out * cols.out;
  for (std::int64_t o = first_element(); o < total; o += element_stride()) {
    const std::int64_t ow = o % cols.out, oh = (o / cols.out) % rows.out,
                       plane = o / (cols.out * rows.out);
    out[o] = x[(plane * rows.in + rows.source(oh)) * cols.in + cols.source(ow)];
  }
}

// grad_x[plane, h, w] = sum of grad_out over the outputs whose source is (h, w): a run of rows
// times a run of columns, added by increasing (oh, ow) as the oracle does.
__global__ void nearest_backward_kernel(
    const float* grad_out, std::int64_t planes, NearestAxis rows, NearestAxis cols, float* grad_x) {
  const std::int64_t total = planes * rows.in * cols.in;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t w = e % cols.in, h = (e / cols.in) % rows.in,
                       plane = e / (cols.in * rows.in);
    const std::int64_t oh0 =
        lower_bound(rows.out, h, [&](std::int64_t i) { return rows.source(i); });
    const std::int64_t ow0 =
        lower_bound(cols.out, w, [&](std::int64_t i) { return cols.source(i); });
    const float* src = grad_out + plane * rows.out * cols.out;
    float acc = 0.0f;
    for (std::int64_t oh = oh0; oh < rows.out && rows.source(oh) == h; ++oh)
      for (std::int64_t ow = ow0; ow < cols.out && cols.source(ow) == w; ++ow)
        acc += src[oh * cols.out + ow];
    grad_x[e] = acc;
  }
}

__global__ void bilinear_forward_kernel(
    const float* x, std::int64_t planes, BilinearAxis rows, BilinearAxis cols, float* out) {
  const std::int64_t total = planes * rows.out * cols.out;
  for (std::int64_t o = first_element(); o < total; o += element_stride()) {
    const std::int64_t ow = o % cols.out, oh = (o / cols.out) % rows.out,
                       plane = o / (cols.out * rows.out);
    const Tap r = rows.tap(oh), c = cols.tap(ow);
    const float* top = x + (plane * rows.in + r.i0) * cols.in;
    const float* bottom = x + (plane * rows.in + r.i1) * cols.in;
    out[o] = r.w0 * (c.w0 * top[c.i0] + c.w1 * top[c.i1]) +
             r.w1 * (c.w0 * bottom[c.i0] + c.w1 * bottom[c.i1]);
  }
}

// grad_x[plane, h, w] = sum over outputs (oh, ow) sampling (h, w) of their row weight times
// column weight times grad_out. Output i samples s only if its first tap i0 is s - 1 or s.
__global__ void bilinear_backward_kernel(const float* grad_out,
                                         std::int64_t planes,
                                         BilinearAxis rows,
                                         BilinearAxis cols,
                                         float* grad_x) {
  const std::int64_t total = planes * rows.in * cols.in;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t w = e % cols.in, h = (e / cols.in) % rows.in,
                       plane = e / (cols.in * rows.in);
    const std::int64_t oh0 =
        lower_bound(rows.out, h - 1, [&](std::int64_t i) { return rows.tap(i).i0; });
    const std::int64_t ow0 =
        lower_bound(cols.out, w - 1, [&](std::int64_t i) { return cols.tap(i).i0; });
    const float* src = grad_out + plane * rows.out * cols.out;
    float acc = 0.0f;
    for (std::int64_t oh = oh0; oh < rows.out && rows.tap(oh).i0 <= h; ++oh) {
      const float row_weight = rows.weight(oh, h);
      if (row_weight == 0.0f) continue;
      for (std::int64_t ow = ow0; ow < cols.out && cols.tap(ow).i0 <= w; ++ow)
        acc += row_weight * cols.weight(ow, w) * src[oh * cols.out + ow];
    }
    grad_x[e] = acc;
  }
}

template <typename Kernel, typename Axis>
void launch_resize(Kernel kernel,
                   std::int64_t elements,
                   const float* in,
                   const ResizeGeometry& g,
                   Axis rows,
                   Axis cols,
                   float* out,
                   cudaStream_t stream) {
  launch_elements(elements, stream, kernel, in, g.planes, rows, cols, out);
}

}  // namespace

void upsample_nearest2d_f32(const float* x,
                            const ResizeGeometry& g,
                            float* out,
                            cudaStream_t stream) {
  launch_resize(nearest_forward_kernel, g.planes * g.out_h * g.out_w, x, g,
                nearest_axis(g.in_h, g.out_h), nearest_axis(g.in_w, g.out_w), out, stream);
}

void upsample_nearest2d_backward_f32(const float* grad_out,
                                     const ResizeGeometry& g,
                                     float* grad_x,
                                     cudaStream_t stream) {
  launch_resize(nearest_backward_kernel, g.planes * g.in_h * g.in_w, grad_out, g,
                nearest_axis(g.in_h, g.out_h), nearest_axis(g.in_w, g.out_w), grad_x, stream);
}

void upsample_bilinear2d_f32(const float* x,
                             const ResizeGeometry& g,
                             float* out,
                             cudaStream_t stream) {
  launch_resize(bilinear_forward_kernel, g.planes * g.out_h * g.out_w, x, g,
                bilinear_axis(g.in_h, g.out_h, g.align_corners),
                bilinear_axis(g.in_w, g.out_w, g.align_corners), out, stream);
}

void upsample_bilinear2d_backward_f32(const float* grad_out,
                                      const ResizeGeometry& g,
                                      float* grad_x,
                                      cudaStream_t stream) {
  launch_resize(bilinear_backward_kernel, g.planes * g.in_h * g.in_w, grad_out, g,
                bilinear_axis(g.in_h, g.out_h, g.align_corners),
                bilinear_axis(g.in_w, g.out_w, g.align_corners), grad_x, stream);
}

}  // namespace kernels::cuda
