// Pooling kernels: one output plane per parallel task; backward passes scatter into the
// input gradient plane by plane, so no two tasks write the same element.
#include "kernels/cpu/pool.h"

#include <algorithm>
#include <limits>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

struct Window {
  std::int64_t h0, h1, w0, w1;  // clipped to the input
  std::int64_t padded_size;     // size of the window clipped to the padded input
};

Window avg_window(const Pool2dGeometry& g, std::int64_t oh, std::int64_t ow) {
  std::int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  std::int64_t h1 = std::min(h0 + g.kernel_h, g.height + g.pad_h),
               w1 = std::min(w0 + g.kernel_w, g.width + g.pad_w);
  const std::int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<std::int64_t>(h0, 0);
  w0 = std::max<std::int64_t>(w0, 0);
  h1 = std::min(h1, g.height);
  w1 = std::min(w1, g.width);
  return {h0, h1, w0, w1, padded};
}

Window adaptive_window(const Pool2dGeometry& g, std::int64_t oh, std::int64_t ow) {
  const std::int64_t h0 = oh * g.height / g.out_h,
                     h1 = ((oh + 1) * g.height + g.out_h - 1) / g.out_h;
  const std::int64_t w0 = ow * g.width / g.out_w, w1 = ((ow + 1) * g.width + g.out_w - 1) / g.out_w;
  return {h0, h1, w0, w1, (h1 - h0) * (w1 - w0)};
}

template <typename WindowFn>
void average_forward(const Tensor& x,
                     const Pool2dGeometry& g,
                     bool count_padded,
                     const Tensor& out,
                     WindowFn window) {
  engine::dispatch_float(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    parallel_for(g.planes, g.out_h * g.out_w * g.kernel_h * g.kernel_w,
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t plane = begin; plane < end; ++plane) {
                     const T* src = xp + plane * g.height * g.width;
                     for (std::int64_t oh = 0; oh < g.out_h; ++oh)
                       for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
                         const Window w = window(g, oh, ow);
                         T acc = 0;
                         for (std::int64_t h = w.h0; h < w.h1; ++h)
                           for (std::int64_t c = w.w0; c < w.w1; ++c) acc += src[h * g.width + c];
                         const std::int64_t count =
                             count_padded ? w.padded_size : (w.h1 - w.h0) * (w.w1 - w.w0);
                         op[(plane * g.out_h + oh) * g.out_w + ow] =
                             count > 0 ? acc / static_cast<T>(count) : T(0);
                       }
                   }
                 });
  });
}

template <typename WindowFn>
void average_backward(const Tensor& grad_out,
                      const Pool2dGeometry& g,
                      bool count_padded,
                      const Tensor& grad_x,
                      WindowFn window) {
  engine::dispatch_float(grad_out.dtype(), "avg_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gp = grad_out.data_ptr<T>();
    T* xp = grad_x.data_ptr<T>();
    parallel_for(g.planes, g.out_h * g.out_w * g.kernel_h * g.kernel_w,
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t plane = begin; plane < end; ++plane) {
                     T* dst = xp + plane * g.height * g.width;
                     std::fill(dst, dst + g.height * g.width, T(0));
                     for (std::int64_t oh = 0; oh < g.out_h; ++oh)
                       for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
                         const Window w = window(g, oh, ow);
                         const std::int64_t count =
                             count_padded ? w.padded_size : (w.h1 - w.h0) * (w.w1 - w.w0);
                         if (count == 0) continue;
                         const T share =
                             gp[(plane * g.out_h + oh) * g.out_w + ow] / static_cast<T>(count);
                         for (std::int64_t h = w.h0; h < w.h1; ++h)
                           for (std::int64_t c = w.w0; c < w.w1; ++c) dst[h * g.width + c] += share;
                       }
                   }
                 });
  });
}

}  // namespace

void max_pool2d_forward(const Tensor& x,
                        const Pool2dGeometry& g,
                        const Tensor& out,
                        const Tensor& indices) {
  engine::dispatch_float(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    std::int64_t* ip = indices.data_ptr<std::int64_t>();
    parallel_for(g.planes, g.out_h * g.out_w * g.kernel_h * g.kernel_w,
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t plane = begin; plane < end; ++plane) {
                     const T* src = xp + plane * g.height * g.width;
                     for (std::int64_t oh = 0; oh < g.out_h; ++oh)
                       for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
                         T best = -std::numeric_limits<T>::infinity();
                         std::int64_t best_index = -1;
                         for (std::int64_t ki = 0; ki < g.kernel_h; ++ki) {
                           const std::int64_t h = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
                           if (h < 0 || h >= g.height) continue;
                           for (std::int64_t kj = 0; kj < g.kernel_w; ++kj) {
                             const std::int64_t w = ow * g.stride_w - g.pad_w + kj * g.dilation_w;
                             if (w < 0 || w >= g.width) continue;
                             const T v = src[h * g.width + w];
                             if (best_index < 0 || v > best ||
                                 v != v) {  // first maximum wins; NaN propagates
                               best = v;
                               best_index = h * g.width + w;
                               if (v != v) break;
                             }
                           }
                         }
                         const std::int64_t o = (plane * g.out_h + oh) * g.out_w + ow;
                         op[o] = best;
                         ip[o] = best_index;
                       }
                   }
                 });
  });
}

void max_pool2d_backward(const Tensor& grad_out,
                         const Tensor& indices,
                         const Pool2dGeometry& g,
                         const Tensor& grad_x) {
  engine::dispatch_float(grad_out.dtype(), "max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gp = grad_out.data_ptr<T>();
    const std::int64_t* ip = indices.data_ptr<std::int64_t>();
    T* xp = grad_x.data_ptr<T>();
    const std::int64_t out_plane = g.out_h * g.out_w;
    parallel_for(g.planes, out_plane, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t plane = begin; plane < end; ++plane) {
        T* dst = xp + plane * g.height * g.width;
        std::fill(dst, dst + g.height * g.width, T(0));
        for (std::int64_t o = 0; o < out_plane; ++o) {
          const std::int64_t i = ip[plane * out_plane + o];
          if (i >= 0) dst[i] += gp[plane * out_plane + o];
        }
      }
    });
  });
}

void avg_pool2d_forward(const Tensor& x,
                        const Pool2dGeometry& g,
                        bool count_include_pad,
                        const Tensor& out) {
  average_forward(x, g, count_include_pad, out, avg_window);
}

void avg_pool2d_backward(const Tensor& grad_out,
                         const Pool2dGeometry& g,
                         bool count_include_pad,
                         const Tensor& grad_x) {
  average_backward(grad_out, g, count_include_pad, grad_x, avg_window);
}

void adaptive_avg_pool2d_forward(const Tensor& x, const Pool2dGeometry& g, const Tensor& out) {
  average_forward(x, g, true, out, adaptive_window);
}

void adaptive_avg_pool2d_backward(const Tensor& grad_out,
                                  const Pool2dGeometry& g,
                                  const Tensor& grad_x) {
  average_backward(grad_out, g, true, grad_x, adaptive_window);
}

}  // namespace kernels::cpu
