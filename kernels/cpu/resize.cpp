// Resizing kernels. Source coordinates follow PyTorch exactly (scale computed in float as
// in/out; nearest = floor(dst * scale); bilinear half-pixel centres clamped at 0) so results match.
#include "kernels/cpu/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

std::vector<std::int64_t> nearest_sources(std::int64_t in, std::int64_t out) {
  std::vector<std::int64_t> src(out);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (std::int64_t i = 0; i < out; ++i)
    src[i] = std::min(static_cast<std::int64_t>(std::floor(static_cast<float>(i) * scale)), in - 1);
  return src;
}

struct Tap {
  std::int64_t i0, i1;
  float w0, w1;
};

std::vector<Tap> bilinear_taps(std::int64_t in, std::int64_t out, bool align_corners) {
  std::vector<Tap> taps(out);
  const float scale =
      align_corners ? (out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f)
                    : static_cast<float>(in) / static_cast<float>(out);
  for (std::int64_t i = 0; i < out; ++i) {
    float src = align_corners ? scale * static_cast<float>(i)
                              : scale * (static_cast<float>(i) + 0.5f) - 0.5f;
    src = std::max(src, 0.0f);
    const auto i0 = std::min(static_cast<std::int64_t>(src), in - 1);
    const std::int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
    const float w1 = std::min(src - static_cast<float>(i0), 1.0f);
    taps[i] = {i0, i1, 1.0f - w1, w1};
  }
  return taps;
}

// Calls body(plane) for each plane in parallel; cost is the plane's output size.
template <typename Body>
void per_plane(const ResizeGeometry& g, Body body) {
  parallel_for(g.planes, g.out_h * g.out_w, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) body(p);
  });
}

}  // namespace

void upsample_nearest2d(const Tensor& x, const ResizeGeometry& g, const Tensor& out) {
  const auto rows = nearest_sources(g.in_h, g.out_h), cols = nearest_sources(g.in_w, g.out_w);
  engine::dispatch_float(x.dtype(), "upsample_nearest2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    per_plane(g, [&](std::int64_t p) {
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const T* src = xp + (p * g.in_h + rows[oh]) * g.in_w;
        T* dst = op + (p * g.out_h + oh) * g.out_w;
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) dst[ow] = src[cols[ow]];
      }
    });
  });
}

void upsample_nearest2d_backward(const Tensor& grad_out,
                                 const ResizeGeometry& g,
                                 const Tensor& grad_x) {
  const auto rows = nearest_sources(g.in_h, g.out_h), cols = nearest_sources(g.in_w, g.out_w);
  engine::dispatch_float(grad_out.dtype(), "upsample_nearest2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gp = grad_out.data_ptr<T>();
    T* xp = grad_x.data_ptr<T>();
    per_plane(g, [&](std::int64_t p) {
      T* plane = xp + p * g.in_h * g.in_w;
      std::fill(plane, plane + g.in_h * g.in_w, T(0));
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const T* src = gp + (p * g.out_h + oh) * g.out_w;
        T* dst = plane + rows[oh] * g.in_w;
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) dst[cols[ow]] += src[ow];
      }
    });
  });
}

void upsample_bilinear2d(const Tensor& x, const ResizeGeometry& g, const Tensor& out) {
  const auto rows = bilinear_taps(g.in_h, g.out_h, g.align_corners),
             cols = bilinear_taps(g.in_w, g.out_w, g.align_corners);
  engine::dispatch_float(x.dtype(), "upsample_bilinear2d", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* op = out.data_ptr<T>();
    per_plane(g, [&](std::int64_t p) {
      const T* plane = xp + p * g.in_h * g.in_w;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Tap r = rows[oh];
        const T* top = plane + r.i0 * g.in_w;
        const T* bottom = plane + r.i1 * g.in_w;
        T* dst = op + (p * g.out_h + oh) * g.out_w;
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Tap c = cols[ow];
          dst[ow] = static_cast<T>(r.w0) *
                        (static_cast<T>(c.w0) * top[c.i0] + static_cast<T>(c.w1) * top[c.i1]) +
                    static_cast<T>(r.w1) *
                        (static_cast<T>(c.w0) * bottom[c.i0] + static_cast<T>(c.w1) * bottom[c.i1]);
        }
      }
    });
  });
}

void upsample_bilinear2d_backward(const Tensor& grad_out,
                                  const ResizeGeometry& g,
                                  const Tensor& grad_x) {
  const auto rows = bilinear_taps(g.in_h, g.out_h, g.align_corners),
             cols = bilinear_taps(g.in_w, g.out_w, g.align_corners);
  engine::dispatch_float(grad_out.dtype(), "upsample_bilinear2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gp = grad_out.data_ptr<T>();
    T* xp = grad_x.data_ptr<T>();
    per_plane(g, [&](std::int64_t p) {
      T* plane = xp + p * g.in_h * g.in_w;
      std::fill(plane, plane + g.in_h * g.in_w, T(0));
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Tap r = rows[oh];
        const T* src = gp + (p * g.out_h + oh) * g.out_w;
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Tap c = cols[ow];
          const T v = src[ow];
          plane[r.i0 * g.in_w + c.i0] += static_cast<T>(r.w0 * c.w0) * v;
          plane[r.i0 * g.in_w + c.i1] += static_cast<T>(r.w0 * c.w1) * v;
          plane[r.i1 * g.in_w + c.i0] += static_cast<T>(r.w1 * c.w0) * v;
          plane[r.i1 * g.in_w + c.i1] += static_cast<T>(r.w1 * c.w1) * v;
        }
      }
    });
  });
}

}  // namespace kernels::cpu
