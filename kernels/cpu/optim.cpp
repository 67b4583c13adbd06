// Fused optimizer steps: each element's update reads and writes its param/grad/state once,
// in the arithmetic order of PyTorch's single-tensor implementations.
#include "kernels/cpu/optim.h"

#include <cmath>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

void sgd_update(const engine::Tensor& param,
                const engine::Tensor& grad,
                const engine::Tensor& momentum_buffer,
                const SgdHyper& h) {
  engine::dispatch_float(param.dtype(), "sgd", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* buf = h.momentum != 0 ? momentum_buffer.data_ptr<T>() : nullptr;
    const T lr = static_cast<T>(h.lr), mom = static_cast<T>(h.momentum),
            wd = static_cast<T>(h.weight_decay);
    const T keep = static_cast<T>(1 - h.dampening);
    parallel_for(param.numel(), 4, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        T d = h.weight_decay != 0 ? g[i] + wd * p[i] : g[i];
        if (buf) {
          buf[i] = h.first_step ? d : mom * buf[i] + keep * d;
          d = h.nesterov ? d + mom * buf[i] : buf[i];
        }
        p[i] -= lr * d;
      }
    });
  });
}

void adamw_update(const engine::Tensor& param,
                  const engine::Tensor& grad,
                  const engine::Tensor& exp_avg,
                  const engine::Tensor& exp_avg_sq,
                  const AdamWHyper& h) {
  engine::dispatch_float(param.dtype(), "adamw", [&](auto tag) {
    using T = decltype(tag);
    T* p = param.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* m = exp_avg.data_ptr<T>();
    T* v = exp_avg_sq.data_ptr<T>();
    const double bias1 = 1 - std::pow(h.beta1, static_cast<double>(h.step));
    const double bias2 = 1 - std::pow(h.beta2, static_cast<double>(h.step));
    // Coefficients are formed in double and rounded once (1 - float(0.999) would be off by 1e-5).
    const T decay = static_cast<T>(1 - h.lr * h.weight_decay), b1 = static_cast<T>(h.beta1),
            b2 = static_cast<T>(h.beta2);
    const T one_minus_b1 = static_cast<T>(1 - h.beta1), one_minus_b2 = static_cast<T>(1 - h.beta2);
    const T step_size = static_cast<T>(h.lr / bias1), bias2_sqrt = static_cast<T>(std::sqrt(bias2));
    const T eps = static_cast<T>(h.eps);
    parallel_for(param.numel(), 8, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        p[i] *= decay;
        m[i] = m[i] * b1 + one_minus_b1 * g[i];
        v[i] = v[i] * b2 + one_minus_b2 * (g[i] * g[i]);
        const T denom = std::sqrt(v[i]) / bias2_sqrt + eps;
        p[i] -= step_size * (m[i] / denom);
      }
    });
  });
}

double sum_of_squares(const engine::Tensor& t) {
  return engine::dispatch_float(t.dtype(), "sum_of_squares", [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data_ptr<T>();
    double total = 0;
    for (std::int64_t i = 0; i < t.numel(); ++i) total += static_cast<double>(p[i]) * p[i];
    return total;
  });
}

}  // namespace kernels::cpu
