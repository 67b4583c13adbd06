// Convolution through im2col: each (image, group) unrolls its receptive fields into a
// [C/g * kh * kw, out_h * out_w] matrix so that the convolution is one GEMM with the weights.
#include "kernels/cpu/conv.h"

#include <algorithm>

#include "engine/dispatch.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

bool is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

// col [channels * kh * kw, out_h * out_w] <- receptive fields of one image/group plane x [channels,
// H, W].
template <typename T>
void im2col(const T* x, std::int64_t channels, const Conv2dGeometry& g, T* col) {
  const std::int64_t rows = channels * g.kernel_h * g.kernel_w, plane = g.out_h * g.out_w;
  parallel_for(rows, plane, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t kj = row % g.kernel_w, ki = (row / g.kernel_w) % g.kernel_h,
                         c = row / (g.kernel_w * g.kernel_h);
      const T* src = x + c * g.height * g.width;
      T* dst = col + row * plane;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const std::int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
        T* out = dst + oh * g.out_w;
        if (ih < 0 || ih >= g.height) {
          std::fill(out, out + g.out_w, T(0));
          continue;
        }
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const std::int64_t iw = ow * g.stride_w - g.pad_w + kj * g.dilation_w;
          out[ow] = (iw >= 0 && iw < g.width) ? src[ih * g.width + iw] : T(0);
        }
      }
    }
  });
}

// x [channels, H, W] += the columns of col scattered back (the adjoint of im2col).
template <typename T>
void col2im(const T* col, std::int64_t channels, const Conv2dGeometry& g, T* x) {
  const std::int64_t plane = g.out_h * g.out_w, taps = g.kernel_h * g.kernel_w;
  parallel_for(channels, taps * plane, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      T* dst = x + c * g.height * g.width;
      std::fill(dst, dst + g.height * g.width, T(0));
      for (std::int64_t k = 0; k < taps; ++k) {
        const std::int64_t ki = k / g.kernel_w, kj = k % g.kernel_w;
        const T* src = col + (c * taps + k) * plane;
        for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
          const std::int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (ih < 0 || ih >= g.height) continue;
          for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
            const std::int64_t iw = ow * g.stride_w - g.pad_w + kj * g.dilation_w;
            if (iw >= 0 && iw < g.width) dst[ih * g.width + iw] += src[oh * g.out_w + ow];
          }
        }
      }
    }
  });
}

struct Sizes {
  std::int64_t cg, og, k, p;  // channels per group (in, out), GEMM depth, output plane size
  explicit Sizes(const Conv2dGeometry& g)
      : cg(g.in_channels / g.groups),
        og(g.out_channels / g.groups),
        k(cg * g.kernel_h * g.kernel_w),
        p(g.out_h * g.out_w) {}
};

}  // namespace

void conv2d_forward(const Tensor& x,
                    const Tensor& weight,
                    const Tensor& bias,
                    const Conv2dGeometry& g,
                    const Tensor& out) {
  const Sizes s(g);
  const bool pointwise = is_pointwise(g);
  engine::dispatch_float(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    Tensor col = pointwise ? x : engine::empty({s.k, s.p}, {.dtype = x.dtype()});  // [K, P]
    for (std::int64_t n = 0; n < g.batch; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const std::int64_t x_offset = (n * g.in_channels + grp * s.cg) * g.height * g.width;
        std::int64_t col_offset = x_offset;
        if (!pointwise) {
          im2col(x.data_ptr<T>() + x_offset, s.cg, g, col.data_ptr<T>());
          col_offset = 0;
        }
        // out[n, group] [og, P] = weight[group] [og, K] @ col [K, P]
        gemm(s.og, s.p, s.k, 1.0, {&weight, grp * s.og * s.k, s.k, false},
             {&col, col_offset, s.p, false}, 0.0, out, (n * g.out_channels + grp * s.og) * s.p,
             s.p);
      }
    }
    if (bias.defined()) {
      T* o = out.data_ptr<T>();
      const T* b = bias.data_ptr<T>();
      parallel_for(g.batch * g.out_channels, s.p, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
          const T v = b[r % g.out_channels];
          for (std::int64_t i = 0; i < s.p; ++i) o[r * s.p + i] += v;
        }
      });
    }
  });
}

void conv2d_backward(const Tensor& grad_out,
                     const Tensor& x,
                     const Tensor& weight,
                     const Conv2dGeometry& g,
                     const Tensor& grad_x,
                     const Tensor& grad_weight,
                     const Tensor& grad_bias) {
  const Sizes s(g);
  const bool pointwise = is_pointwise(g);
  engine::dispatch_float(x.dtype(), "conv2d_backward", [&](auto tag) {
    using T = decltype(tag);
    Tensor col =
        (pointwise || !grad_weight.defined()) ? x : engine::empty({s.k, s.p}, {.dtype = x.dtype()});
    Tensor grad_col =
        (pointwise || !grad_x.defined()) ? grad_x : engine::empty({s.k, s.p}, {.dtype = x.dtype()});
    for (std::int64_t n = 0; n < g.batch; ++n) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const std::int64_t x_offset = (n * g.in_channels + grp * s.cg) * g.height * g.width;
        const std::int64_t go_offset = (n * g.out_channels + grp * s.og) * s.p;
        if (grad_weight.defined()) {
          std::int64_t col_offset = x_offset;
          if (!pointwise) {
            im2col(x.data_ptr<T>() + x_offset, s.cg, g, col.data_ptr<T>());
            col_offset = 0;
          }
          // grad_weight[group] [og, K] (+)= grad_out[n, group] [og, P] @ col^T [P, K]
          gemm(s.og, s.k, s.p, 1.0, {&grad_out, go_offset, s.p, false},
               {&col, col_offset, s.p, true}, n == 0 ? 0.0 : 1.0, grad_weight, grp * s.og * s.k,
               s.k);
        }
        if (grad_x.defined()) {
          // grad_col [K, P] = weight[group]^T [K, og] @ grad_out[n, group] [og, P]
          const std::int64_t gc_offset = pointwise ? x_offset : 0;
          gemm(s.k, s.p, s.og, 1.0, {&weight, grp * s.og * s.k, s.k, true},
               {&grad_out, go_offset, s.p, false}, 0.0, grad_col, gc_offset, s.p);
          if (!pointwise) col2im(grad_col.data_ptr<T>(), s.cg, g, grad_x.data_ptr<T>() + x_offset);
        }
      }
    }
    if (grad_bias.defined()) {
      const T* go = grad_out.data_ptr<T>();
      T* gb = grad_bias.data_ptr<T>();
      parallel_for(g.out_channels, g.batch * s.p, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t o = begin; o < end; ++o) {
          double acc = 0;
          for (std::int64_t n = 0; n < g.batch; ++n)
            for (std::int64_t i = 0; i < s.p; ++i) acc += go[(n * g.out_channels + o) * s.p + i];
          gb[o] = static_cast<T>(acc);
        }
      });
    }
  });
}

}  // namespace kernels::cpu
