// GroupNorm + affine + scale-shift + SiLU in one pass per (sample, group) row; the backward
// recomputes z from x and the saved statistics: pass 1 forms dz = g silu'(z) and the per-channel
// sums that every small gradient and the normalisation's mean terms need, pass 2 turns dz into
// grad_x in place. f32 on AVX-512 CPUs runs both backward passes 16 lanes at a time (exp512) and
// the forward too (its silu the f32 silu's vector definition, silu_f32.h, as the unary op's).
#include "kernels/cpu/group_norm_silu.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <vector>

#include "engine/dispatch.h"
#include "kernels/cpu/avx512_exp.h"
#include "kernels/cpu/avx512_target.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/row_stats.h"
#include "kernels/cpu/sgemm_avx512.h"
#include "kernels/cpu/silu_f32.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// The constants of one (sample, channel) plane: z = ((x - mean) * inv * w + b) * s + h.
template <typename T>
struct Plane {
  T mean, inv, w, b, s, h;
};

// Pass 1 over the p values of a plane: dz = g * silu'(z), stored in dz when it is not null;
// returns the sums of dz and of dz * y (y = (x - mean) * inv).
template <typename T>
std::array<double, 2> silu_grad(const T* x, const T* g, const Plane<T>& c, std::int64_t p, T* dz) {
  double sum_dz = 0, sum_dzy = 0;
  for (std::int64_t i = 0; i < p; ++i) {
    const T y = (x[i] - c.mean) * c.inv;
    const T z = (y * c.w + c.b) * c.s + c.h;
    const T sg = T(1) / (T(1) + std::exp(-z));
    const T d = g[i] * sg * (T(1) + z * (T(1) - sg));
    if (dz) dz[i] = d;
    sum_dz += d;
    sum_dzy += static_cast<double>(d) * y;
  }
  return {sum_dz, sum_dzy};
}

// Pass 2, in place: dx = inv * (k * dz - m1 - y * m2) (k = s * w; m1, m2 the group's means of
// dy and dy * y).
template <typename T>
void norm_grad(const T* x, const Plane<T>& c, T k, T m1, T m2, std::int64_t p, T* dx) {
  for (std::int64_t i = 0; i < p; ++i) {
    const T y = (x[i] - c.mean) * c.inv;
    dx[i] = c.inv * (k * dx[i] - m1 - y * m2);
  }
}

#ifdef DREAMBOX_AVX512_KERNEL
// The present parts of a plane's affine and scale-shift (null: absent).
struct Affine {
  const float *w, *b, *s, *h;
};

// dst = silu((((x - mean) * inv) * w + b) * s + h) for the p values of a plane, 16 at a time: the
// float operations of the scalar loop in group_norm_silu (standardised in double, rounded to
// float, then one rounding per present operation), then the f32 silu's vector definition, so the
// results are the bits of the ops.
AVX512_TARGET void normalized_affine_silu_avx512(
    const float* x, const RowStats& st, const Affine& a, std::int64_t p, float* dst) {
  const __m512d mean = _mm512_set1_pd(st.mean), inv = _mm512_set1_pd(st.inv);
  for (std::int64_t i = 0; i < p; i += 16) {
    const __mmask16 m = first_lanes(p - i);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
    const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(
        _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(xv)), mean), inv));
    const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(
        _mm512_sub_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                          _mm512_castps_pd(xv), 1))),
                      mean),
        inv));
    __m512 v = _mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
    if (a.w) v = _mm512_mul_ps(v, _mm512_set1_ps(*a.w));
    if (a.b) v = _mm512_add_ps(v, _mm512_set1_ps(*a.b));
    if (a.s) v = _mm512_mul_ps(v, _mm512_set1_ps(*a.s));
    if (a.h) v = _mm512_add_ps(v, _mm512_set1_ps(*a.h));
    _mm512_mask_storeu_ps(dst + i, m, silu512(v));
  }
}

// silu_grad for f32, 16 lanes at a time (masked-off lanes read x = g = 0, so their dz is 0).
AVX512_TARGET std::array<double, 2> silu_grad_avx512(
    const float* x, const float* g, const Plane<float>& c, std::int64_t p, float* dz) {
  const __m512 mean = _mm512_set1_ps(c.mean), inv = _mm512_set1_ps(c.inv),
               w = _mm512_set1_ps(c.w), b = _mm512_set1_ps(c.b), s = _mm512_set1_ps(c.s),
               h = _mm512_set1_ps(c.h), one = _mm512_set1_ps(1.f);
  __m512 sum_dz = _mm512_setzero_ps(), sum_dzy = _mm512_setzero_ps();
  for (std::int64_t i = 0; i < p; i += 16) {
    const __mmask16 m = first_lanes(p - i);
    const __m512 y = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mean), inv);
    const __m512 z = _mm512_fmadd_ps(_mm512_fmadd_ps(y, w, b), s, h);
    const __m512 sg = _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), z))));
    const __m512 d = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + i), sg),
                                   _mm512_fmadd_ps(z, _mm512_sub_ps(one, sg), one));
    if (dz) _mm512_mask_storeu_ps(dz + i, m, d);
    sum_dz = _mm512_add_ps(sum_dz, d);
    sum_dzy = _mm512_fmadd_ps(d, y, sum_dzy);
  }
  return {_mm512_reduce_add_ps(sum_dz), _mm512_reduce_add_ps(sum_dzy)};
}

// norm_grad for f32, 16 lanes at a time.
AVX512_TARGET void norm_grad_avx512(
    const float* x, const Plane<float>& c, float k, float m1, float m2, std::int64_t p, float* dx) {
  const __m512 mean = _mm512_set1_ps(c.mean), inv = _mm512_set1_ps(c.inv),
               kv = _mm512_set1_ps(k), m1v = _mm512_set1_ps(m1), m2v = _mm512_set1_ps(m2);
  for (std::int64_t i = 0; i < p; i += 16) {
    const __mmask16 m = first_lanes(p - i);
    const __m512 y = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mean), inv);
    const __m512 t = _mm512_fmsub_ps(kv, _mm512_maskz_loadu_ps(m, dx + i), m1v);  // k dz - m1
    _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(inv, _mm512_fnmadd_ps(y, m2v, t)));
  }
}
#endif

// Pointer to t's data, or null when t is undefined.
template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

void group_norm_silu(const Tensor& x,
                     std::int64_t groups,
                     double eps,
                     const Tensor& weight,
                     const Tensor& bias,
                     const Tensor& scale1,
                     const Tensor& shift,
                     const Tensor& out,
                     const Tensor& mean,
                     const Tensor& rstd) {
  const std::int64_t n = x.size(0), c = x.size(1), p = x.numel() / std::max<std::int64_t>(n * c, 1);
  const std::int64_t per_group = c / groups, m = per_group * p;  // row = (sample, group)
  engine::dispatch_float(x.dtype(), "group_norm_silu", [&](auto tag) {
    using T = decltype(tag);
    const T *xp = x.data_ptr<T>(), *w = data_or_null<T>(weight), *b = data_or_null<T>(bias),
            *s1 = data_or_null<T>(scale1), *sh = data_or_null<T>(shift);
    T *op = out.data_ptr<T>(), *mp = data_or_null<T>(mean), *rp = data_or_null<T>(rstd);
    [[maybe_unused]] const bool vector = std::is_same_v<T, float> && silu_f32_vectorized();
    parallel_for(n * groups, 4 * m, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const T* in = xp + r * m;
        const RowStats s = row_stats(in, m, eps);
        if (mp) mp[r] = static_cast<T>(s.mean);
        if (rp) rp[r] = static_cast<T>(s.inv);
        const std::int64_t sample = r / groups, c0 = (r % groups) * per_group;
        for (std::int64_t k = 0; k < per_group; ++k) {
          const std::int64_t ch = c0 + k, nc = sample * c + ch;
          const T* src = in + k * p;
          T* dst = op + r * m + k * p;
#ifdef DREAMBOX_AVX512_KERNEL
          if constexpr (std::is_same_v<T, float>)
            if (vector) {
              const Affine a{w ? &w[ch] : nullptr, b ? &b[ch] : nullptr, s1 ? &s1[nc] : nullptr,
                             sh ? &sh[nc] : nullptr};
              normalized_affine_silu_avx512(src, s, a, p, dst);
              continue;
            }
#endif
          for (std::int64_t i = 0; i < p; ++i) {
            T v = static_cast<T>((src[i] - s.mean) * s.inv);  // as row_norm_forward
            if (w) v = T(v * w[ch]);                          // the affine: mul, then add
            if (b) v = T(v + b[ch]);
            if (s1) v = T(v * s1[nc]);  // * (1 + scale), + shift
            if (sh) v = T(v + sh[nc]);
            dst[i] = v * (T(1) / (T(1) + std::exp(-v)));  // silu as the unary kernel
          }
        }
      }
    });
  });
}

void group_norm_silu_backward(const Tensor& grad_out,
                              const Tensor& x,
                              std::int64_t groups,
                              const Tensor& mean,
                              const Tensor& rstd,
                              const Tensor& weight,
                              const Tensor& bias,
                              const Tensor& scale1,
                              const Tensor& shift,
                              const GroupNormSiluGrads& grads) {
  const std::int64_t n = x.size(0), c = x.size(1), p = x.numel() / std::max<std::int64_t>(n * c, 1);
  const std::int64_t per_group = c / groups, m = per_group * p;
  engine::dispatch_float(x.dtype(), "group_norm_silu_backward", [&](auto tag) {
    using T = decltype(tag);
    const T *xp = x.data_ptr<T>(), *gp = grad_out.data_ptr<T>(), *mp = mean.data_ptr<T>(),
            *rp = rstd.data_ptr<T>(), *w = data_or_null<T>(weight), *b = data_or_null<T>(bias),
            *s1 = data_or_null<T>(scale1), *sh = data_or_null<T>(shift);
    T* gx = data_or_null<T>(grads.x);
    bool vector = false;
#ifdef DREAMBOX_AVX512_KERNEL
    vector = std::is_same_v<T, float> && sgemm_avx512_available();
#endif
    // Per (sample, channel): the sums of dz and dz * y over the plane.
    std::vector<double> sum_dz(n * c), sum_dzy(n * c);
    parallel_for(n * groups, 8 * m, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const std::int64_t sample = r / groups, c0 = (r % groups) * per_group;
        const auto plane = [&](std::int64_t k) {
          const std::int64_t ch = c0 + k, nc = sample * c + ch;
          return Plane<T>{mp[r],          rp[r],          w ? w[ch] : T(1),
                          b ? b[ch] : T(0), s1 ? s1[nc] : T(1), sh ? sh[nc] : T(0)};
        };
        double m1 = 0, m2 = 0;  // sums over the group of dy = k dz and of dy * y
        for (std::int64_t k = 0; k < per_group; ++k) {
          const Plane<T> pl = plane(k);
          const std::int64_t at = r * m + k * p, nc = sample * c + c0 + k;
          std::array<double, 2> sums{};
#ifdef DREAMBOX_AVX512_KERNEL
          if constexpr (std::is_same_v<T, float>)
            if (vector) sums = silu_grad_avx512(xp + at, gp + at, pl, p, gx ? gx + at : nullptr);
#endif
          if (!vector) sums = silu_grad(xp + at, gp + at, pl, p, gx ? gx + at : nullptr);
          sum_dz[nc] = sums[0];
          sum_dzy[nc] = sums[1];
          const double kk = static_cast<double>(pl.s) * pl.w;
          m1 += kk * sums[0];
          m2 += kk * sums[1];
        }
        if (!gx) continue;
        const T m1t = static_cast<T>(m1 / static_cast<double>(m)),
                m2t = static_cast<T>(m2 / static_cast<double>(m));
        for (std::int64_t k = 0; k < per_group; ++k) {
          const Plane<T> pl = plane(k);
          const std::int64_t at = r * m + k * p;
#ifdef DREAMBOX_AVX512_KERNEL
          if constexpr (std::is_same_v<T, float>)
            if (vector) norm_grad_avx512(xp + at, pl, pl.s * pl.w, m1t, m2t, p, gx + at);
#endif
          if (!vector) norm_grad(xp + at, pl, pl.s * pl.w, m1t, m2t, p, gx + at);
        }
      }
    });
    // The small gradients: shift [N, C] = sum dz; scale1 [N, C] = sum dz * a (a = y w + b);
    // weight, bias [C] = sums over the samples of scale1 * (sum dz y, sum dz).
    T *gw = data_or_null<T>(grads.weight), *gb = data_or_null<T>(grads.bias),
      *gs = data_or_null<T>(grads.scale1), *gh = data_or_null<T>(grads.shift);
    for (std::int64_t ch = 0; ch < c; ++ch) {
      double acc_w = 0, acc_b = 0;
      for (std::int64_t s = 0; s < n; ++s) {
        const std::int64_t nc = s * c + ch;
        const double scale = s1 ? s1[nc] : 1.0;
        acc_w += scale * sum_dzy[nc];
        acc_b += scale * sum_dz[nc];
        if (gh) gh[nc] = static_cast<T>(sum_dz[nc]);
        if (gs) gs[nc] = static_cast<T>((w ? w[ch] : 1.0) * sum_dzy[nc] + (b ? b[ch] : 0.0) * sum_dz[nc]);
      }
      if (gw) gw[ch] = static_cast<T>(acc_w);
      if (gb) gb[ch] = static_cast<T>(acc_b);
    }
  });
}

}  // namespace kernels::cpu
