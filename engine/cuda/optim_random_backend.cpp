// The CUDA backend's fused optimizer updates (SGD, AdamW) and Philox random streams (uniform,
// normal: f32; randint: i64, converted for other dtypes), each one kernel over a contiguous tensor.
#include "engine/autograd.h"
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/optim.h"
#include "kernels/cuda/random.h"

namespace engine::cuda_backend {

void sgd_update(const Tensor& param,
                const Tensor& grad,
                const Tensor& momentum_buffer,
                const kernels::cpu::SgdHyper& h) {
  kernels::cuda::sgd_update_f32(f32(param, "SGD"), f32(grad, "SGD"),
                                h.momentum != 0 ? f32(momentum_buffer, "SGD") : nullptr,
                                param.numel(), h.lr, h.momentum, h.dampening, h.weight_decay,
                                h.nesterov, h.first_step, stream());
}

void adamw_update(const Tensor& param,
                  const Tensor& grad,
                  const Tensor& exp_avg,
                  const Tensor& exp_avg_sq,
                  const kernels::cpu::AdamWHyper& h) {
  kernels::cuda::adamw_update_f32(f32(param, "AdamW"), f32(grad, "AdamW"), f32(exp_avg, "AdamW"),
                                  f32(exp_avg_sq, "AdamW"), param.numel(), h.lr, h.beta1, h.beta2,
                                  h.eps, h.weight_decay, h.step, stream());
}

void uniform(std::uint64_t seed, std::uint64_t offset, double low, double high, const Tensor& out) {
  kernels::cuda::uniform_f32(seed, offset, low, high, f32(out, "uniform_"), out.numel(), stream());
}

void normal(std::uint64_t seed, std::uint64_t offset, double mean, double std, const Tensor& out) {
  kernels::cuda::normal_f32(seed, offset, mean, std, f32(out, "normal_"), out.numel(), stream());
}

void randint(std::uint64_t seed,
             std::uint64_t offset,
             std::int64_t low,
             std::int64_t high,
             const Tensor& out) {
  ENGINE_CHECK(out.is_contiguous(), "randint: needs a contiguous output, got ", out.str());
  const Tensor drawn = out.dtype() == DType::i64
                           ? out
                           : empty(out.shape(), {.dtype = DType::i64, .device = out.device()});
  kernels::cuda::randint_i64(seed, offset, low, high, device_pointer<std::int64_t>(drawn),
                             out.numel(), stream());
  if (drawn.is_same(out)) return;
  autograd::NoGradGuard no_grad;
  out.copy_(drawn);
}

}  // namespace engine::cuda_backend
