// CPU softmax family: numerically stable (max subtracted), accumulation in double, one
// [outer, inner] lane per iteration so the walk along dim is strided by `inner`.
#include "kernels/cpu/softmax.h"

#include <cmath>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

namespace {
struct Lanes {
  std::int64_t outer = 1, n = 1, inner = 1;
  Lanes(const engine::Tensor& t, std::int64_t dim) {
    for (std::int64_t d = 0; d < dim; ++d) outer *= t.size(d);
    n = t.size(dim);
    for (std::int64_t d = dim + 1; d < t.dim(); ++d) inner *= t.size(d);
  }
};
}  // namespace

void softmax(const engine::Tensor& x, std::int64_t dim, bool log, const engine::Tensor& y) {
  const Lanes l(x, dim);
  engine::dispatch_float(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    parallel_for(l.outer * l.inner, l.n * 4, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t lane = begin; lane < end; ++lane) {
        const std::int64_t base = (lane / l.inner) * l.n * l.inner + lane % l.inner;
        const T* in = xp + base;
        T* out = yp + base;
        T peak = in[0];
        for (std::int64_t i = 1; i < l.n; ++i) peak = std::max(peak, in[i * l.inner]);
        double total = 0;
        for (std::int64_t i = 0; i < l.n; ++i)
          total += std::exp(static_cast<double>(in[i * l.inner] - peak));
        if (log) {
          const T shift = static_cast<T>(peak + std::log(total));
          for (std::int64_t i = 0; i < l.n; ++i) out[i * l.inner] = in[i * l.inner] - shift;
        } else {
          const double scale = 1.0 / total;
          for (std::int64_t i = 0; i < l.n; ++i)
            out[i * l.inner] =
                static_cast<T>(std::exp(static_cast<double>(in[i * l.inner] - peak)) * scale);
        }
      }
    });
  });
}

void softmax_backward(const engine::Tensor& grad_y,
                      const engine::Tensor& y,
                      std::int64_t dim,
                      bool log,
                      const engine::Tensor& grad_x) {
  const Lanes l(y, dim);
  engine::dispatch_float(
      y.dtype(), log ? "log_softmax_backward" : "softmax_backward", [&](auto tag) {
        using T = decltype(tag);
        const T* gp = grad_y.data_ptr<T>();
        const T* yp = y.data_ptr<T>();
        T* op = grad_x.data_ptr<T>();
        parallel_for(l.outer * l.inner, l.n * 4, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t lane = begin; lane < end; ++lane) {
            const std::int64_t base = (lane / l.inner) * l.n * l.inner + lane % l.inner;
            const T *g = gp + base, *yv = yp + base;
            T* out = op + base;
            double dot = 0;
            for (std::int64_t i = 0; i < l.n; ++i)
              dot += log ? static_cast<double>(g[i * l.inner])
                         : static_cast<double>(g[i * l.inner]) * yv[i * l.inner];
            for (std::int64_t i = 0; i < l.n; ++i) {
              const std::int64_t j = i * l.inner;
              out[j] = log ? static_cast<T>(g[j] - std::exp(static_cast<double>(yv[j])) * dot)
                           : static_cast<T>(yv[j] * (g[j] - dot));
            }
          }
        });
      });
}

}  // namespace kernels::cpu
