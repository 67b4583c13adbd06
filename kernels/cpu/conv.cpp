// Convolution through im2col: the receptive fields of a chunk of images (one group at a time)
// are unrolled into a [C/g * kh * kw, images * out_h * out_w] matrix, so the convolution and both
// of its gradients are single GEMMs with the weights. Small feature maps fold the whole batch into
// one chunk so that the GEMMs stay wide; 1x1/stride-1/unpadded convs use the input directly. With
// the AVX-512 f32 GEMM the column matrix is never stored (kernels/cpu/im2col_pack.h), and the
// input gradient of a stride-1 conv is the forward conv of grad_out with the flipped weights, that
// of a strided one a stride-1 conv per input phase (kernels/cpu/phase_input_grad.h); the forward
// of a strided conv with wide output rows reads its input's phase planes in place
// (kernels/cpu/phase_conv.h).
// f32 3x3 stride-1 convs run Winograd F(4x4, 3x3) instead (kernels/cpu/winograd.h).
#include "kernels/cpu/conv.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "engine/dispatch.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/im2col_pack.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/phase_conv.h"
#include "kernels/cpu/phase_input_grad.h"
#include "kernels/cpu/row_stats.h"
#include "kernels/cpu/sgemm_avx512.h"
#include "kernels/cpu/winograd.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// Feature maps with fewer output pixels than this are convolved a whole batch at a time.
constexpr std::int64_t kFoldBelow = 4096;

bool is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

// Whether the column matrix is packed on the fly: f32 GEMMs of this output shape run our
// AVX-512 kernel, which takes a B packer (kernels/cpu/im2col_pack.h).
template <typename T>
bool implicit_im2col(std::int64_t m, std::int64_t n) {
  return std::is_same_v<T, float> && gemm_uses_own_kernel(m, n);
}

// A stride-1 conv's input gradient is the stride-1 conv of grad_out with the flipped weights
// (channels swapped within each group) and padding dilation * (k - 1) - pad.
bool input_grad_is_conv(const Conv2dGeometry& g) {
  return !is_pointwise(g) && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_h <= g.dilation_h * (g.kernel_h - 1) && g.pad_w <= g.dilation_w * (g.kernel_w - 1);
}
Conv2dGeometry input_grad_geometry(const Conv2dGeometry& g) {
  return {g.batch,
          g.out_channels,
          g.out_h,
          g.out_w,
          g.in_channels,
          g.kernel_h,
          g.kernel_w,
          g.groups,
          1,
          1,
          g.dilation_h * (g.kernel_h - 1) - g.pad_h,
          g.dilation_w * (g.kernel_w - 1) - g.pad_w,
          g.dilation_h,
          g.dilation_w,
          g.height,
          g.width};
}
// weight [O, C/g, kh, kw] -> [C, O/g, kh, kw]: w'[group C-channel c][o][i][j] = w[group
// o][c][kh-1-i][kw-1-j].
template <typename T>
engine::Tensor flipped_weights(const engine::Tensor& weight, const Conv2dGeometry& g) {
  const std::int64_t og = g.out_channels / g.groups, cg = g.in_channels / g.groups;
  const std::int64_t kh = g.kernel_h, kw = g.kernel_w;
  engine::Tensor out = engine::empty({g.in_channels, og, kh, kw}, {.dtype = weight.dtype()});
  const T* w = weight.data_ptr<T>();
  T* f = out.data_ptr<T>();
  for (std::int64_t grp = 0; grp < g.groups; ++grp)
    for (std::int64_t o = 0; o < og; ++o)
      for (std::int64_t c = 0; c < cg; ++c)
        for (std::int64_t i = 0; i < kh; ++i)
          for (std::int64_t j = 0; j < kw; ++j)
            f[(((grp * cg + c) * og + o) * kh + i) * kw + j] =
                w[(((grp * og + o) * cg + c) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)];
  return out;
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

// Whether this conv runs Winograd F(4x4, 3x3) (kernels/cpu/winograd.h) instead of im2col.
template <typename T>
bool use_winograd(const Conv2dGeometry& g) {
  return std::is_same_v<T, float> && winograd_applies(g);
}

// out [N, O, P] += bias[o].
template <typename T>
void add_bias(const Tensor& bias, const Conv2dGeometry& g, const Tensor& out) {
  const std::int64_t p = g.out_h * g.out_w;
  T* o = out.data_ptr<T>();
  const T* b = bias.data_ptr<T>();
  parallel_for(g.batch * g.out_channels, p, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      const T v = b[r % g.out_channels];
      for (std::int64_t i = 0; i < p; ++i) o[r * p + i] += v;
    }
  });
}

// Moves the group's channels of a chunk of images between an NCHW tensor t [N, O, P] and a
// [og, images * P] matrix m (image i in columns i*P .. (i+1)*P).
template <typename T>
void gather_chunk(
    const T* t, const Sizes& s, std::int64_t channels, std::int64_t n0, std::int64_t group, T* m) {
  for (std::int64_t i = 0; i < s.images; ++i)
    for (std::int64_t o = 0; o < s.og; ++o)
      std::memcpy(m + o * s.ld() + i * s.p, t + ((n0 + i) * channels + group * s.og + o) * s.p,
                  s.p * sizeof(T));
}
template <typename T>
void scatter_chunk(
    const T* m, const Sizes& s, std::int64_t channels, std::int64_t n0, std::int64_t group, T* t) {
  for (std::int64_t i = 0; i < s.images; ++i)
    for (std::int64_t o = 0; o < s.og; ++o)
      std::memcpy(t + ((n0 + i) * channels + group * s.og + o) * s.p, m + o * s.ld() + i * s.p,
                  s.p * sizeof(T));
}

}  // namespace

void conv2d_forward(const Tensor& x,
                    const Tensor& weight,
                    const Tensor& bias,
                    const Conv2dGeometry& g,
                    const Tensor& out) {
  const Sizes s(g);
  const bool pointwise = is_pointwise(g), folded = s.images > 1;
  engine::dispatch_float(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    if (use_winograd<T>(g)) {
      if constexpr (std::is_same_v<T, float>) winograd_conv2d_forward(x, weight, g, out);
      if (bias.defined()) add_bias<T>(bias, g, out);
      return;
    }
    if (std::is_same_v<T, float> && phase_conv_applies(g)) {
      if constexpr (std::is_same_v<T, float>) phase_conv2d_forward(x, weight, g, out);
      if (bias.defined()) add_bias<T>(bias, g, out);
      return;
    }
    const bool implicit = !pointwise && implicit_im2col<T>(s.og, s.ld());
    const Tensor col = pointwise || implicit
                           ? x
                           : engine::empty({s.k, s.ld()}, {.dtype = x.dtype()});  // [K, images * P]
    const Tensor result = folded ? engine::empty({s.og, s.ld()}, {.dtype = x.dtype()}) : out;
    for (std::int64_t n0 = 0; n0 < g.batch; n0 += s.images) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        std::int64_t col_offset =
            (n0 * g.in_channels + grp * s.cg) * g.height * g.width;  // pointwise: x itself
        const std::int64_t out_offset = folded ? 0 : (n0 * g.out_channels + grp * s.og) * s.p;
        if (implicit) {
          // result [og, images * P] = weight[group] [og, K] @ im2col(x chunk) [K, images * P]
          if constexpr (std::is_same_v<T, float>) {
            const Im2colView view{x.data_ptr<float>() + col_offset,
                                  g.in_channels * g.height * g.width, s.cg, s.images, &g};
            sgemm_avx512_packed_b(
                false, s.og, s.ld(), s.k, 1.f, weight.data_ptr<float>() + grp * s.og * s.k, s.k,
                pack_im2col(view), 0.f, result.data_ptr<float>() + out_offset, s.ld());
          }
          if (folded)
            scatter_chunk(result.data_ptr<T>(), s, g.out_channels, n0, grp, out.data_ptr<T>());
          continue;
        }
        if (!pointwise) {
          for (std::int64_t i = 0; i < s.images; ++i)
            im2col(x.data_ptr<T>() + ((n0 + i) * g.in_channels + grp * s.cg) * g.height * g.width,
                   s.cg, g, col.data_ptr<T>() + i * s.p, s.ld());
          col_offset = 0;
        }
        // result [og, images * P] = weight[group] [og, K] @ col [K, images * P]
        gemm(s.og, s.ld(), s.k, 1.0, {&weight, grp * s.og * s.k, s.k, false},
             {&col, col_offset, s.ld(), false}, 0.0, result, out_offset, s.ld());
        if (folded)
          scatter_chunk(result.data_ptr<T>(), s, g.out_channels, n0, grp, out.data_ptr<T>());
      }
    }
    if (bias.defined()) add_bias<T>(bias, g, out);
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
  const bool pointwise = is_pointwise(g), folded = s.images > 1;
  engine::dispatch_float(x.dtype(), "conv2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const auto dtype = engine::TensorOptions{.dtype = x.dtype()};
    const bool data_as_conv = grad_x.defined() && input_grad_is_conv(g);
    if (data_as_conv)
      conv2d_forward(grad_out, flipped_weights<T>(weight, g), Tensor(), input_grad_geometry(g),
                     grad_x);
    const bool data_by_phase =
        grad_x.defined() && std::is_same_v<T, float> && phase_input_grad_applies(g);
    if constexpr (std::is_same_v<T, float>)
      if (data_by_phase) phase_input_grad(grad_out, weight, g, grad_x);
    // The input gradient still to compute here.
    const Tensor gx = data_as_conv || data_by_phase ? Tensor() : grad_x;
    const bool weight_winograd = grad_weight.defined() && use_winograd<T>(g);
    if constexpr (std::is_same_v<T, float>)
      if (weight_winograd) winograd_conv2d_weight_grad(grad_out, x, g, grad_weight);
    const bool weight_by_phase =
        grad_weight.defined() && std::is_same_v<T, float> && phase_conv_applies(g);
    if constexpr (std::is_same_v<T, float>)
      if (weight_by_phase) phase_conv2d_weight_grad(grad_out, x, g, grad_weight);
    // The weight gradient still to do.
    const Tensor gw = weight_winograd || weight_by_phase ? Tensor() : grad_weight;
    const bool implicit = !pointwise && implicit_im2col<T>(s.og, s.k);
    const Tensor col =
        (pointwise || implicit || !gw.defined()) ? x : engine::empty({s.k, s.ld()}, dtype);
    const Tensor grad_col = (pointwise || !gx.defined()) ? gx : engine::empty({s.k, s.ld()}, dtype);
    const Tensor grad_chunk =
        folded ? engine::empty({s.og, s.ld()}, dtype) : grad_out;  // [og, images * P]
    for (std::int64_t n0 = 0; n0 < g.batch; n0 += s.images) {
      for (std::int64_t grp = 0; grp < g.groups; ++grp) {
        const std::int64_t x_offset = (n0 * g.in_channels + grp * s.cg) * g.height * g.width;
        std::int64_t go_offset = (n0 * g.out_channels + grp * s.og) * s.p;
        if (folded && (gw.defined() || gx.defined())) {
          gather_chunk(grad_out.data_ptr<T>(), s, g.out_channels, n0, grp,
                       grad_chunk.data_ptr<T>());
          go_offset = 0;
        }
        if (gw.defined() && implicit) {
          if constexpr (std::is_same_v<T, float>) {
            // grad_weight[group] [og, K] (+)= grad_chunk [og, images * P] @ im2col(x chunk)^T
            const Im2colView view{x.data_ptr<float>() + x_offset,
                                  g.in_channels * g.height * g.width, s.cg, s.images, &g};
            sgemm_avx512_packed_b(false, s.og, s.k, s.ld(), 1.f,
                                  grad_chunk.data_ptr<float>() + go_offset, s.ld(),
                                  pack_im2col_transposed(view), n0 == 0 ? 0.f : 1.f,
                                  gw.data_ptr<float>() + grp * s.og * s.k, s.k);
          }
        } else if (gw.defined()) {
          std::int64_t col_offset = x_offset;
          if (!pointwise) {
            for (std::int64_t i = 0; i < s.images; ++i)
              im2col(x.data_ptr<T>() + ((n0 + i) * g.in_channels + grp * s.cg) * g.height * g.width,
                     s.cg, g, col.data_ptr<T>() + i * s.p, s.ld());
            col_offset = 0;
          }
          // grad_weight[group] [og, K] (+)= grad_chunk [og, images * P] @ col^T [images * P, K]
          gemm(s.og, s.k, s.ld(), 1.0, {&grad_chunk, go_offset, s.ld(), false},
               {&col, col_offset, s.ld(), true}, n0 == 0 ? 0.0 : 1.0, gw, grp * s.og * s.k, s.k);
        }
        if (gx.defined()) {
          // grad_col [K, images * P] = weight[group]^T [K, og] @ grad_chunk [og, images * P]
          gemm(s.k, s.ld(), s.og, 1.0, {&weight, grp * s.og * s.k, s.k, true},
               {&grad_chunk, go_offset, s.ld(), false}, 0.0, grad_col, pointwise ? x_offset : 0,
               s.ld());
          if (!pointwise)
            for (std::int64_t i = 0; i < s.images; ++i)
              col2im(
                  grad_col.data_ptr<T>() + i * s.p, s.ld(), s.cg, g,
                  gx.data_ptr<T>() + ((n0 + i) * g.in_channels + grp * s.cg) * g.height * g.width);
        }
      }
    }
    if (grad_bias.defined()) {
      const T* go = grad_out.data_ptr<T>();
      T* gb = grad_bias.data_ptr<T>();
      parallel_for(g.out_channels, g.batch * s.p, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t o = begin; o < end; ++o) {
          double acc = 0;  // 8 interleaved partial sums per plane (row_stats.h)
          for (std::int64_t n = 0; n < g.batch; ++n)
            acc += sum_of(go + (n * g.out_channels + o) * s.p, s.p, [](double v) { return v; });
          gb[o] = static_cast<T>(acc);
        }
      });
    }
  });
}

}  // namespace kernels::cpu
