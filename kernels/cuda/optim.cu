// Optimizer kernels: a thread per parameter element, reading and writing param, grad and the
// state once, in the CPU oracle's arithmetic order.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/optim.h"

namespace kernels::cuda {
namespace {

struct SgdCoefficients {
  float lr, momentum, keep, weight_decay;  // keep = 1 - dampening
  bool use_momentum, decay, nesterov, first_step;
};

__global__ void sgd_kernel(
    float* param, const float* grad, float* buffer, std::int64_t n, SgdCoefficients c) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    float d = c.decay ? grad[i] + c.weight_decay * param[i] : grad[i];
    if (c.use_momentum) {
      buffer[i] = c.first_step ? d : c.momentum * buffer[i] + c.keep * d;
      d = c.nesterov ? d + c.momentum * buffer[i] : buffer[i];
    }
    param[i] -= c.lr * d;
  }
}

struct AdamWCoefficients {
  float decay, beta1, beta2, one_minus_beta1, one_minus_beta2, step_size, bias2_sqrt, eps;
};

__global__ void adamw_kernel(
    float* param, const float* grad, float* m, float* v, std::int64_t n, AdamWCoefficients c) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    const float g = grad[i];
    const float p = param[i] * c.decay;
    const float mi = m[i] * c.beta1 + c.one_minus_beta1 * g;
    const float vi = v[i] * c.beta2 + c.one_minus_beta2 * (g * g);
    const float denom = sqrtf(vi) / c.bias2_sqrt + c.eps;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - c.step_size * (mi / denom);
  }
}

}  // namespace

void sgd_update_f32(float* param,
                    const float* grad,
                    float* momentum_buffer,
                    std::int64_t n,
                    double lr,
                    double momentum,
                    double dampening,
                    double weight_decay,
                    bool nesterov,
                    bool first_step,
                    cudaStream_t stream) {
  const SgdCoefficients c{static_cast<float>(lr),
                          static_cast<float>(momentum),
                          static_cast<float>(1 - dampening),
                          static_cast<float>(weight_decay),
                          momentum != 0,
                          weight_decay != 0,
                          nesterov,
                          first_step};
  launch_elements(n, stream, sgd_kernel, param, grad, momentum_buffer, n, c);
}

void adamw_update_f32(float* param,
                      const float* grad,
                      float* exp_avg,
                      float* exp_avg_sq,
                      std::int64_t n,
                      double lr,
                      double beta1,
                      double beta2,
                      double eps,
                      double weight_decay,
                      std::int64_t step,
                      cudaStream_t stream) {
  const double bias1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias2 = 1 - std::pow(beta2, static_cast<double>(step));
  const AdamWCoefficients c{static_cast<float>(1 - lr * weight_decay),
                            static_cast<float>(beta1),
                            static_cast<float>(beta2),
                            static_cast<float>(1 - beta1),
                            static_cast<float>(1 - beta2),
                            static_cast<float>(lr / bias1),
                            static_cast<float>(std::sqrt(bias2)),
                            static_cast<float>(eps)};
  launch_elements(n, stream, adamw_kernel, param, grad, exp_avg, exp_avg_sq, n, c);
}

}  // namespace kernels::cuda
