// CPU fused BCE-with-logits: log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)) keeps every term
// finite; forward and backward share one elementwise walk over the optional weight tensors.
#include "kernels/cpu/loss.h"

#include <algorithm>
#include <cmath>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

template <typename T>
T log_sigmoid(T x) {
  return std::min(x, T(0)) - std::log1p(std::exp(-std::abs(x)));
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// Calls body(i, x, t, w, pw) for every element, with w = pw = 1 where the tensors are undefined.
template <typename T, typename Body>
void for_each(
    const Tensor& x, const Tensor& t, const Tensor& weight, const Tensor& pos_weight, Body body) {
  const T* xp = x.data_ptr<T>();
  const T* tp = t.data_ptr<T>();
  const T* wp = optional_data<T>(weight);
  const T* pp = optional_data<T>(pos_weight);
  parallel_for(x.numel(), 24, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i)
      body(i, xp[i], tp[i], wp ? wp[i] : T(1), pp ? pp[i] : T(1));
  });
}

}  // namespace

void bce_with_logits(const Tensor& x,
                     const Tensor& t,
                     const Tensor& weight,
                     const Tensor& pos_weight,
                     const Tensor& out) {
  engine::dispatch_float(x.dtype(), "binary_cross_entropy_with_logits", [&](auto tag) {
    using T = decltype(tag);
    T* op = out.data_ptr<T>();
    for_each<T>(x, t, weight, pos_weight, [&](std::int64_t i, T xv, T tv, T w, T pw) {
      const T log_weight = (pw - T(1)) * tv + T(1);
      op[i] = w * ((T(1) - tv) * xv - log_weight * log_sigmoid(xv));
    });
  });
}

void bce_with_logits_backward(const Tensor& grad,
                              const Tensor& x,
                              const Tensor& t,
                              const Tensor& weight,
                              const Tensor& pos_weight,
                              const Tensor& grad_x,
                              const Tensor& grad_t) {
  engine::dispatch_float(x.dtype(), "binary_cross_entropy_with_logits_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gp = grad.data_ptr<T>();
    T* gx = grad_x.defined() ? grad_x.data_ptr<T>() : nullptr;
    T* gt = grad_t.defined() ? grad_t.data_ptr<T>() : nullptr;
    for_each<T>(x, t, weight, pos_weight, [&](std::int64_t i, T xv, T tv, T w, T pw) {
      const T gw = gp[i] * w;
      if (gx) {
        const T sig = T(1) / (T(1) + std::exp(-xv));
        gx[i] = gw * (((pw - T(1)) * tv + T(1)) * sig - pw * tv);
      }
      if (gt) gt[i] = gw * (-xv - (pw - T(1)) * log_sigmoid(xv));
    });
  });
}

}  // namespace kernels::cpu
