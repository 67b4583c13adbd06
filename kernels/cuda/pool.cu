// Pooling kernels: forward kernels run a thread per output element; backward kernels a thread per
// input element that finds the outputs whose window holds it (a gather: no atomics).
#include <cmath>
#include <cstdint>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/pool.h"

namespace kernels::cuda {
namespace {

struct Window {
  std::int64_t h0, h1, w0, w1;  // clipped to the input: rows [h0, h1), columns [w0, w1)
  std::int64_t count;           // the divisor of the average
};

// The average-pool window of output (oh, ow), as the oracle clips it.
struct AverageWindow {
  bool count_include_pad;
  __device__ Window operator()(const Pool2dGeometry& g, std::int64_t oh, std::int64_t ow) const {
    std::int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
    std::int64_t h1 = min(h0 + g.kernel_h, g.height + g.pad_h),
                 w1 = min(w0 + g.kernel_w, g.width + g.pad_w);
    const std::int64_t padded = (h1 - h0) * (w1 - w0);
    h0 = max(h0, std::int64_t{0});
    w0 = max(w0, std::int64_t{0});
    h1 = min(h1, g.height);
    w1 = min(w1, g.width);
    return {h0, h1, w0, w1, count_include_pad ? padded : (h1 - h0) * (w1 - w0)};
  }
  // The outputs whose window may hold input row h: [first, last] (columns likewise).
  __device__ void rows(const Pool2dGeometry& g,
                       std::int64_t h,
                       std::int64_t& first,
                       std::int64_t& last) const {
    span(h, g.kernel_h, g.stride_h, g.pad_h, g.out_h, first, last);
  }
  __device__ void columns(const Pool2dGeometry& g,
                          std::int64_t w,
                          std::int64_t& first,
                          std::int64_t& last) const {
    span(w, g.kernel_w, g.stride_w, g.pad_w, g.out_w, first, last);
  }
  // Window o holds i iff o stride - pad <= i < o stride - pad + kernel.
  __device__ static void span(std::int64_t i,
                              std::int64_t kernel,
                              std::int64_t stride,
                              std::int64_t pad,
                              std::int64_t outs,
                              std::int64_t& first,
                              std::int64_t& last) {
    const std::int64_t low = i + pad - kernel + 1;  // o stride >= low
    first = low <= 0 ? 0 : (low + stride - 1) / stride;
    last = min((i + pad) / stride, outs - 1);
  }
};

// The adaptive window: rows [floor(oh H / out_h), ceil((oh + 1) H / out_h)).
struct AdaptiveWindow {
  __device__ Window operator()(const Pool2dGeometry& g, std::int64_t oh, std::int64_t ow) const {
    const std::int64_t h0 = oh * g.height / g.out_h,
                       h1 = ((oh + 1) * g.height + g.out_h - 1) / g.out_h;
    const std::int64_t w0 = ow * g.width / g.out_w,
                       w1 = ((ow + 1) * g.width + g.out_w - 1) / g.out_w;
    return {h0, h1, w0, w1, (h1 - h0) * (w1 - w0)};
  }
  __device__ void rows(const Pool2dGeometry& g,
                       std::int64_t h,
                       std::int64_t& first,
                       std::int64_t& last) const {
    span(h, g.height, g.out_h, first, last);
  }
  __device__ void columns(const Pool2dGeometry& g,
                          std::int64_t w,
                          std::int64_t& first,
                          std::int64_t& last) const {
    span(w, g.width, g.out_w, first, last);
  }
  // Window o holds i iff floor(i outs / size) <= o <= ceil((i + 1) outs / size) - 1.
  __device__ static void span(std::int64_t i,
                              std::int64_t size,
                              std::int64_t outs,
                              std::int64_t& first,
                              std::int64_t& last) {
    first = i * outs / size;
    last = min(((i + 1) * outs + size - 1) / size - 1, outs - 1);
  }
};

__global__ void max_pool_forward_kernel(const float* x,
                                        Pool2dGeometry g,
                                        float* out,
                                        std::int64_t* indices) {
  const std::int64_t total = g.planes * g.out_h * g.out_w;
  for (std::int64_t o = first_element(); o < total; o += element_stride()) {
    const std::int64_t ow = o % g.out_w, oh = (o / g.out_w) % g.out_h,
                       plane = o / (g.out_w * g.out_h);
    const float* src = x + plane * g.height * g.width;
    float best = -INFINITY;
    std::int64_t best_index = -1;
    for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const std::int64_t h = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
      if (h < 0 || h >= g.height) continue;
      for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
        const std::int64_t w = ow * g.stride_w - g.pad_w + kj * g.dilation_w;
        if (w < 0 || w >= g.width) continue;
        const float v = src[h * g.width + w];
        if (best_index < 0 || v > best || v != v) {  // the first maximum wins; NaN propagates
          best = v;
          best_index = h * g.width + w;
          if (v != v) break;  // ends this window row only, exactly as the oracle does
        }
      }
    }
    out[o] = best;
    indices[o] = best_index;
  }
}

// grad_x[plane, h, w] = sum of grad_out over the outputs whose index points at (h, w). The
// outputs that can see h are oh = (h + pad - ki dilation) / stride for whole quotients; walking ki
// downwards visits them by increasing oh, the oracle's order of accumulation.
__global__ void max_pool_backward_kernel(const float* grad_out,
                                         const std::int64_t* indices,
                                         Pool2dGeometry g,
                                         float* grad_x) {
  const std::int64_t total = g.planes * g.height * g.width, out_plane = g.out_h * g.out_w;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t w = e % g.width, h = (e / g.width) % g.height,
                       plane = e / (g.width * g.height);
    const std::int64_t self = h * g.width + w, base = plane * out_plane;
    float acc = 0.0f;
    for (std::int64_t ki = g.kernel_h - 1; ki >= 0; --ki) {
      const std::int64_t th = h + g.pad_h - ki * g.dilation_h;
      if (th < 0 || th % g.stride_h != 0 || th / g.stride_h >= g.out_h) continue;
      const std::int64_t oh = th / g.stride_h;
      for (std::int64_t kj = g.kernel_w - 1; kj >= 0; --kj) {
        const std::int64_t tw = w + g.pad_w - kj * g.dilation_w;
        if (tw < 0 || tw % g.stride_w != 0 || tw / g.stride_w >= g.out_w) continue;
        const std::int64_t o = base + oh * g.out_w + tw / g.stride_w;
        if (indices[o] == self) acc += grad_out[o];
      }
    }
    grad_x[e] = acc;
  }
}

template <typename WindowFn>
__global__ void average_forward_kernel(const float* x,
                                       Pool2dGeometry g,
                                       WindowFn window,
                                       float* out) {
  const std::int64_t total = g.planes * g.out_h * g.out_w;
  for (std::int64_t o = first_element(); o < total; o += element_stride()) {
    const std::int64_t ow = o % g.out_w, oh = (o / g.out_w) % g.out_h,
                       plane = o / (g.out_w * g.out_h);
    const float* src = x + plane * g.height * g.width;
    const Window win = window(g, oh, ow);
    float acc = 0.0f;
    for (std::int64_t h = win.h0; h < win.h1; ++h)
      for (std::int64_t c = win.w0; c < win.w1; ++c) acc += src[h * g.width + c];
    out[o] = win.count > 0 ? acc / static_cast<float>(win.count) : 0.0f;
  }
}

// grad_x[plane, h, w] = sum over the windows holding (h, w) of grad_out / count, by increasing
// (oh, ow) as the oracle accumulates. Candidates are confirmed against the window itself.
template <typename WindowFn>
__global__ void average_backward_kernel(const float* grad_out,
                                        Pool2dGeometry g,
                                        WindowFn window,
                                        float* grad_x) {
  const std::int64_t total = g.planes * g.height * g.width;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const std::int64_t w = e % g.width, h = (e / g.width) % g.height,
                       plane = e / (g.width * g.height);
    const float* src = grad_out + plane * g.out_h * g.out_w;
    std::int64_t oh0, oh1, ow0, ow1;
    window.rows(g, h, oh0, oh1);
    window.columns(g, w, ow0, ow1);
    float acc = 0.0f;
    for (std::int64_t oh = oh0; oh <= oh1; ++oh)
      for (std::int64_t ow = ow0; ow <= ow1; ++ow) {
        const Window win = window(g, oh, ow);
        if (win.count == 0 || h < win.h0 || h >= win.h1 || w < win.w0 || w >= win.w1) continue;
        acc += src[oh * g.out_w + ow] / static_cast<float>(win.count);
      }
    grad_x[e] = acc;
  }
}

std::int64_t outputs(const Pool2dGeometry& g) {
  return g.planes * g.out_h * g.out_w;
}
std::int64_t inputs(const Pool2dGeometry& g) {
  return g.planes * g.height * g.width;
}

}  // namespace

void max_pool2d_forward_f32(const float* x,
                            const Pool2dGeometry& g,
                            float* out,
                            std::int64_t* indices,
                            cudaStream_t stream) {
  launch_elements(outputs(g), stream, max_pool_forward_kernel, x, g, out, indices);
}

void max_pool2d_backward_f32(const float* grad_out,
                             const std::int64_t* indices,
                             const Pool2dGeometry& g,
                             float* grad_x,
                             cudaStream_t stream) {
  launch_elements(inputs(g), stream, max_pool_backward_kernel, grad_out, indices, g, grad_x);
}

void avg_pool2d_forward_f32(const float* x,
                            const Pool2dGeometry& g,
                            bool count_include_pad,
                            float* out,
                            cudaStream_t stream) {
  launch_elements(outputs(g), stream, average_forward_kernel<AverageWindow>, x, g,
                  AverageWindow{count_include_pad}, out);
}

void avg_pool2d_backward_f32(const float* grad_out,
                             const Pool2dGeometry& g,
                             bool count_include_pad,
                             float* grad_x,
                             cudaStream_t stream) {
  launch_elements(inputs(g), stream, average_backward_kernel<AverageWindow>, grad_out, g,
                  AverageWindow{count_include_pad}, grad_x);
}

void adaptive_avg_pool2d_forward_f32(const float* x,
                                     const Pool2dGeometry& g,
                                     float* out,
                                     cudaStream_t stream) {
  launch_elements(outputs(g), stream, average_forward_kernel<AdaptiveWindow>, x, g,
                  AdaptiveWindow{}, out);
}

void adaptive_avg_pool2d_backward_f32(const float* grad_out,
                                      const Pool2dGeometry& g,
                                      float* grad_x,
                                      cudaStream_t stream) {
  launch_elements(inputs(g), stream, average_backward_kernel<AdaptiveWindow>, grad_out, g,
                  AdaptiveWindow{}, grad_x);
}

}  // namespace kernels::cuda
