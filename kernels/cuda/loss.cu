// BCE-with-logits kernels: a thread per element; log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|))
// keeps every term finite for large |x|, as on the CPU.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/loss.h"

namespace kernels::cuda {
namespace {

__device__ __forceinline__ float log_sigmoid(float x) {
  return fminf(x, 0.0f) - log1pf(expf(-fabsf(x)));
}

__device__ __forceinline__ float or_one(const float* p, std::int64_t i) {
  return p != nullptr ? p[i] : 1.0f;
}

__global__ void bce_kernel(const float* x,
                           const float* t,
                           const float* weight,
                           const float* pos_weight,
                           std::int64_t n,
                           float* out) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    const float xv = x[i], tv = t[i], pw = or_one(pos_weight, i);
    const float log_weight = (pw - 1.0f) * tv + 1.0f;
    out[i] = or_one(weight, i) * ((1.0f - tv) * xv - log_weight * log_sigmoid(xv));
  }
}

__global__ void bce_backward_kernel(const float* grad,
                                    const float* x,
                                    const float* t,
                                    const float* weight,
                                    const float* pos_weight,
                                    std::int64_t n,
                                    float* grad_x,
                                    float* grad_t) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    const float xv = x[i], tv = t[i], pw = or_one(pos_weight, i);
    const float gw = grad[i] * or_one(weight, i);
    if (grad_x != nullptr) {
      const float sig = 1.0f / (1.0f + expf(-xv));
      grad_x[i] = gw * (((pw - 1.0f) * tv + 1.0f) * sig - pw * tv);
    }
    if (grad_t != nullptr) grad_t[i] = gw * (-xv - (pw - 1.0f) * log_sigmoid(xv));
  }
}

}  // namespace

void bce_with_logits_f32(const float* x,
                         const float* t,
                         const float* weight,
                         const float* pos_weight,
                         std::int64_t n,
                         float* out,
                         cudaStream_t stream) {
  launch_elements(n, stream, bce_kernel, x, t, weight, pos_weight, n, out);
}

void bce_with_logits_backward_f32(const float* grad,
                                  const float* x,
                                  const float* t,
                                  const float* weight,
                                  const float* pos_weight,
                                  std::int64_t n,
                                  float* grad_x,
                                  float* grad_t,
                                  cudaStream_t stream) {
  launch_elements(n, stream, bce_backward_kernel, grad, x, t, weight, pos_weight, n, grad_x,
                  grad_t);
}

}  // namespace kernels::cuda
