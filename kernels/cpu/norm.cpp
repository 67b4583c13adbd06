// Row standardisation with two passes in double (mean, then centred variance), one row per
// parallel task; the backward uses the saved output and 1/std only.
#include "kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/row_stats.h"

namespace kernels::cpu {

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
