// Convolution through im2col: the receptive fields of a chunk of images (one group at a time)
// are unrolled into a [C/g * kh * kw, images * out_h * out_w] matrix, so the convolution and both
// of its gradients are single GEMMs with the weights. Small feature maps fold the whole batch into
// one chunk so that the GEMMs stay wide; 1x1/stride-1/unpadded convs use the input directly.
#include "kernels/cpu/conv.h"

#include <algorithm>
#include <cstring>

#include "engine/dispatch.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// Feature maps with fewer output pixels than this are convolved a whole batch at a time.
constexpr std::int64_t kFoldBelow = 4096;

bool is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

struct Sizes {
  std::int64_t cg, og, k, p;  // channels per group (in, out), GEMM depth, output plane size
  std::int64_t images;        // images per column matrix (1, or the whole batch when folding)
  explicit Sizes(const Conv2dGeometry& g)
      : cg(g.in_channels / g.groups),
        og(g.out_channels / g.groups),
        k(cg * g.kernel_h * g.kernel_w),
        p(g.out_h * g.out_w),
        images(!is_pointwise(g) && p < kFoldBelow ? std::max<std::int64_t>(g.batch, 1) : 1) {}
  std::int64_t ld() const { return images * p; }  // row length of the column matrix
};

// The output columns [lo, hi) whose input column ow * stride + offset lies inside [0, width):
// outside them a receptive field reads padding. offset = tap * dilation - pad.
struct ValidRange {
  std::int64_t lo, hi;
};
ValidRange valid_outputs(std::int64_t offset, std::int64_t stride, std::int64_t width, std::int64_t outputs) {
  const auto ceil_div = [](std::int64_t a, std::int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const std::int64_t lo = std::clamp<std::int64_t>(ceil_div(-offset, stride), 0, outputs);
  const std::int64_t hi = std::clamp<std::int64_t>(ceil_div(width - offset, stride), lo, outputs);
  return {lo, hi};
}

// col[:, column .. column + P) of a [channels * kh * kw, ld] matrix <- receptive fields of one
// image/group plane x [channels, H, W]. Per row the in-image span is found once, so the inner
// loop is a plain strided copy (a contiguous one for stride 1) without bounds tests.
template <typename T>
void im2col(const T* x, std::int64_t channels, const Conv2dGeometry& g, T* col, std::int64_t ld) {
  const std::int64_t rows = channels * g.kernel_h * g.kernel_w;
  parallel_for(rows, g.out_h * g.out_w, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t kj = row % g.kernel_w, ki = (row / g.kernel_w) % g.kernel_h,
                         c = row / (g.kernel_w * g.kernel_h);
      const T* src = x + c * g.height * g.width;
      const std::int64_t offset = kj * g.dilation_w - g.pad_w;
      const auto [lo, hi] = valid_outputs(offset, g.stride_w, g.width, g.out_w);
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const std::int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
        T* out = col + row * ld + oh * g.out_w;
        if (ih < 0 || ih >= g.height) {
          std::fill(out, out + g.out_w, T(0));
          continue;
        }
        const T* in = src + ih * g.width;  // out[ow] = in[ow * stride + offset] for ow in [lo, hi)
        std::fill(out, out + lo, T(0));
        if (g.stride_w == 1)
          std::copy(in + lo + offset, in + hi + offset, out + lo);
        else
          for (std::int64_t ow = lo; ow < hi; ++ow) out[ow] = in[ow * g.stride_w + offset];
        std::fill(out + hi, out + g.out_w, T(0));
      }
    }
  });
}

// x [channels, H, W] = the columns of col scattered back (the adjoint of im2col).
template <typename T>
void col2im(const T* col, std::int64_t ld, std::int64_t channels, const Conv2dGeometry& g, T* x) {
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  parallel_for(channels, taps * g.out_h * g.out_w, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t c = begin; c < end; ++c) {
      T* dst = x + c * g.height * g.width;
      std::fill(dst, dst + g.height * g.width, T(0));
      for (std::int64_t k = 0; k < taps; ++k) {
        const std::int64_t ki = k / g.kernel_w, kj = k % g.kernel_w;
        const std::int64_t offset = kj * g.dilation_w - g.pad_w;
        const auto [lo, hi] = valid_outputs(offset, g.stride_w, g.width, g.out_w);
        const T* src = col + (c * taps + k) * ld;
        for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
          const std::int64_t ih = oh * g.stride_h - g.pad_h + ki * g.dilation_h;
          if (ih < 0 || ih >= g.height) continue;
          T* out = dst + ih * g.width;  // out[ow * stride + offset] += in[ow] for ow in [lo, hi)
          const T* in = src + oh * g.out_w;
          if (g.stride_w == 1)
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow + offset] += in[ow];
          else
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow * g.stride_w + offset] += in[ow];
        }
      }
    }
  });
}

// Moves the group's channels of a chunk of images between an NCHW tensor t [N, O, P] and a
// [og, images * P] matrix m (image i in columns i*P .. (i+1)*P).
template <typename T>
void gather_chunk(const T* t, const Sizes& s, std::int64_t channels, std::int64_t n0, std::int64_t group, T* m) {
  for (std::int64_t i = 0; i < s.images; ++i)
    for (std::int64_t o = 0; o < s.og; ++o)
      std::memcpy(m + o * s.ld() + i * s.p, t + ((n0 + i) * channels + group * s.og + o) * s.p, s.p * sizeof(T));
}
template <typename T>
void scatter_chunk(const T* m, const Sizes& s, std::int64_t channels, std::int64_t n0, std::int64_t group, T* t) {
  for (std::int64_t i = 0; i < s.images; ++i)
    for (std::int64_t o = 0; o < s.og; ++o)
      std::memcpy(t + ((n0 + i) * channels + group * s.og + o) * s.p, m + o * s.ld() + i * s.p, s.p * sizeof(T));
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dGeometry& g,
                    const Tensor& out) {
  const Sizes s(g);
  const bool pointwise = is_pointwise(g), folded = s.images > 1;
  engine::dispatch_float(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const Tensor col = pointwise ? x : engine::empty({s.k, s.ld()}, {.dtype = x.dtype()});  // [K, images * P]
    const Tensor result = folded ? engine::empty({s.og, s.ld()}, {.dtype = x.dtype()}) : out;
    for (std::int64_t n0 = 0; n0 < g.batch; n0 += s.images) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        std::int64_t col_offset = (n0 * g.in_channels + grp * s.cg) * g.height * g.width;  // pointwise: x itself
        if (!pointwise) {
          for (std::int64_t i = 0; i < s.images; ++i)
            im2col(x.data_ptr<T>() + ((n0 + i) * g.in_channels + grp * s.cg) * g.height * g.width, s.cg, g,
                   col.data_ptr<T>() + i * s.p, s.ld());
          col_offset = 0;
        }
        // result [og, images * P] = weight[group] [og, K] @ col [K, images * P]
        const std::int64_t out_offset = folded ? 0 : (n0 * g.out_channels + grp * s.og) * s.p;
        gemm(s.og, s.ld(), s.k, 1.0, {&weight, grp * s.og * s.k, s.k, false}, {&col, col_offset, s.ld(), false}, 0.0,
             result, out_offset, s.ld());
        if (folded) scatter_chunk(result.data_ptr<T>(), s, g.out_channels, n0, grp, out.data_ptr<T>());
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

void conv2d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Conv2dGeometry& g,
                     const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias) {
  const Sizes s(g);
  const bool pointwise = is_pointwise(g), folded = s.images > 1;
  engine::dispatch_float(x.dtype(), "conv2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const auto dtype = engine::TensorOptions{.dtype = x.dtype()};
    const Tensor col = (pointwise || !grad_weight.defined()) ? x : engine::empty({s.k, s.ld()}, dtype);
    const Tensor grad_col = (pointwise || !grad_x.defined()) ? grad_x : engine::empty({s.k, s.ld()}, dtype);
    const Tensor grad_chunk = folded ? engine::empty({s.og, s.ld()}, dtype) : grad_out;  // [og, images * P]
    for (std::int64_t n0 = 0; n0 < g.batch; n0 += s.images) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const std::int64_t x_offset = (n0 * g.in_channels + grp * s.cg) * g.height * g.width;
        std::int64_t go_offset = (n0 * g.out_channels + grp * s.og) * s.p;
        if (folded) {
          gather_chunk(grad_out.data_ptr<T>(), s, g.out_channels, n0, grp, grad_chunk.data_ptr<T>());
          go_offset = 0;
        }
        if (grad_weight.defined()) {
          std::int64_t col_offset = x_offset;
          if (!pointwise) {
            for (std::int64_t i = 0; i < s.images; ++i)
              im2col(x.data_ptr<T>() + ((n0 + i) * g.in_channels + grp * s.cg) * g.height * g.width, s.cg, g,
                     col.data_ptr<T>() + i * s.p, s.ld());
            col_offset = 0;
          }
          // grad_weight[group] [og, K] (+)= grad_chunk [og, images * P] @ col^T [images * P, K]
          gemm(s.og, s.k, s.ld(), 1.0, {&grad_chunk, go_offset, s.ld(), false}, {&col, col_offset, s.ld(), true},
               n0 == 0 ? 0.0 : 1.0, grad_weight, grp * s.og * s.k, s.k);
        }
        if (grad_x.defined()) {
          // grad_col [K, images * P] = weight[group]^T [K, og] @ grad_chunk [og, images * P]
          gemm(s.k, s.ld(), s.og, 1.0, {&weight, grp * s.og * s.k, s.k, true}, {&grad_chunk, go_offset, s.ld(), false},
               0.0, grad_col, pointwise ? x_offset : 0, s.ld());
          if (!pointwise)
            for (std::int64_t i = 0; i < s.images; ++i)
              col2im(grad_col.data_ptr<T>() + i * s.p, s.ld(), s.cg, g,
                     grad_x.data_ptr<T>() + ((n0 + i) * g.in_channels + grp * s.cg) * g.height * g.width);
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
