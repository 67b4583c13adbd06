// Row standardisation with two passes in double (mean, then centred variance), one row per
// parallel task; the backward uses the saved output and 1/std only. GroupNorm + SiLU fused.
#include "kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

namespace {

struct RowStats {
  double mean, inv;  // mean and 1 / sqrt(biased variance + eps)
};

// Sum of f(in[i]) in double over 8 interleaved partial sums: independent chains (one serial
// chain waits ~4 cycles per element) that the compiler keeps in vector registers.
template <typename T, typename F>
double sum_of(const T* in, std::int64_t m, F f) {
  constexpr int kLanes = 8;
  double part[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= m; i += kLanes)
    for (int k = 0; k < kLanes; ++k) part[k] += f(static_cast<double>(in[i + k]));
  for (; i < m; ++i) part[0] += f(static_cast<double>(in[i]));
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

template <typename T>
RowStats row_stats(const T* in, std::int64_t m, double eps) {
  const double mu = sum_of(in, m, [](double v) { return v; }) / static_cast<double>(m);
  const double var =
      sum_of(in, m, [mu](double v) { return (v - mu) * (v - mu); }) / static_cast<double>(m);
  return {mu, 1.0 / std::sqrt(var + eps)};
}

}  // namespace

void row_norm_forward(const engine::Tensor& x,
                      double eps,
                      const engine::Tensor& y,
                      const engine::Tensor& mean,
                      const engine::Tensor& rstd) {
  const std::int64_t rows = x.size(0), m = x.size(1);
  engine::dispatch_float(x.dtype(), "normalization", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T *yp = y.data_ptr<T>(), *mp = mean.data_ptr<T>(), *rp = rstd.data_ptr<T>();
    parallel_for(rows, 3 * m, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const T* in = xp + r * m;
        const RowStats s = row_stats(in, m, eps);
        T* out = yp + r * m;
        for (std::int64_t i = 0; i < m; ++i) out[i] = static_cast<T>((in[i] - s.mean) * s.inv);
        mp[r] = static_cast<T>(s.mean);
        rp[r] = static_cast<T>(s.inv);
      }
    });
  });
}

void group_norm_silu(const engine::Tensor& x,
                     std::int64_t groups,
                     double eps,
                     const engine::Tensor& weight,
                     const engine::Tensor& bias,
                     const engine::Tensor& scale1,
                     const engine::Tensor& shift,
                     const engine::Tensor& out) {
  const std::int64_t n = x.size(0), c = x.size(1), p = x.numel() / std::max<std::int64_t>(n * c, 1);
  const std::int64_t per_group = c / groups, m = per_group * p;  // row = (sample, group)
  engine::dispatch_float(x.dtype(), "group_norm_silu", [&](auto tag) {
    using T = decltype(tag);
    const auto ptr = [](const engine::Tensor& t) {
      return t.defined() ? t.data_ptr<T>() : static_cast<T*>(nullptr);
    };
    const T *xp = x.data_ptr<T>(), *w = ptr(weight), *b = ptr(bias), *s1 = ptr(scale1),
            *sh = ptr(shift);
    T* op = out.data_ptr<T>();
    parallel_for(n * groups, 4 * m, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const T* in = xp + r * m;
        const RowStats s = row_stats(in, m, eps);
        const std::int64_t sample = r / groups, c0 = (r % groups) * per_group;
        for (std::int64_t k = 0; k < per_group; ++k) {
          const std::int64_t ch = c0 + k, nc = sample * c + ch;
          const T* src = in + k * p;
          T* dst = op + r * m + k * p;
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

void row_norm_backward(const engine::Tensor& grad_y,
                       const engine::Tensor& y,
                       const engine::Tensor& rstd,
                       const engine::Tensor& grad_x) {
  const std::int64_t rows = y.size(0), m = y.size(1);
  engine::dispatch_float(y.dtype(), "normalization_backward", [&](auto tag) {
    using T = decltype(tag);
    const T *gp = grad_y.data_ptr<T>(), *yp = y.data_ptr<T>(), *rp = rstd.data_ptr<T>();
    T* xp = grad_x.data_ptr<T>();
    parallel_for(rows, 3 * m, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        const T *g = gp + r * m, *yr = yp + r * m;
        double sum_g = 0, sum_gy = 0;
        for (std::int64_t i = 0; i < m; ++i) {
          sum_g += g[i];
          sum_gy += static_cast<double>(g[i]) * yr[i];
        }
        const double mean_g = sum_g / static_cast<double>(m),
                     mean_gy = sum_gy / static_cast<double>(m);
        T* out = xp + r * m;
        for (std::int64_t i = 0; i < m; ++i)
          out[i] = static_cast<T>(rp[r] * (g[i] - mean_g - yr[i] * mean_gy));
      }
    });
  });
}

}  // namespace kernels::cpu
