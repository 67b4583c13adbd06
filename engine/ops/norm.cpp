// Normalisation front-ends. Batch, group and layer norm all reshape their input so that each
// row of a [R, M] matrix is one normalisation group, run the fused row kernel, then apply the
// per-channel affine with ordinary (differentiable) broadcast ops. The UNet's GroupNorm + SiLU is
// one fused kernel with its own backward on the CPU.
#include "kernels/cpu/norm.h"

#include <algorithm>

#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/functional.h"
#include "engine/ops.h"
#include "kernels/cpu/group_norm_silu.h"

namespace engine {

namespace {

// Standardises every row of x [R, M] (differentiable; the kernel has an explicit backward).
Tensor normalize_rows(const Tensor& x_in,
                      double eps,
                      Tensor* mean_out = nullptr,
                      Tensor* var_out = nullptr) {
  const Tensor x = x_in.contiguous();
  Tensor y = empty_like(x);
  Tensor mean = empty({x.size(0)}, {.dtype = x.dtype(), .device = x.device()});
  Tensor rstd = empty({x.size(0)}, {.dtype = x.dtype(), .device = x.device()});
  if (x.numel() > 0) DEVICE_KERNEL(y, row_norm_forward(x, eps, y, mean, rstd));
  if (mean_out) *mean_out = mean;
  if (var_out)
    *var_out = sub(reciprocal(square(rstd)),
                   scalar_tensor(eps, {.dtype = x.dtype(), .device = x.device()}));  // biased var
  autograd::record("normalize", y, {x},
                   [y_saved = y.detach(), rstd](const Tensor& grad, const autograd::NeedsGrad&) {
                     Tensor gx = empty_like(y_saved);
                     if (gx.numel() > 0)
                       DEVICE_KERNEL(gx, row_norm_backward(grad.contiguous(), y_saved, rstd, gx));
                     return std::vector<Tensor>{gx};
                   });
  return y;
}

// Shape [1, C, 1, ...] that broadcasts a per-channel vector over x [N, C, ...].
Shape channel_shape(const Tensor& x) {
  Shape shape(x.dim(), 1);
  shape[1] = x.size(1);
  return shape;
}

Tensor affine(const Tensor& y, const Tensor& weight, const Tensor& bias, const Shape& shape) {
  Tensor out = y;
  if (weight.defined()) out = mul(out, weight.reshape(shape));
  if (bias.defined()) out = add(out, bias.reshape(shape));
  return out;
}

void check_channel_vector(const Tensor& t,
                          std::int64_t channels,
                          const char* what,
                          const char* op) {
  if (t.defined())
    ENGINE_CHECK(t.dim() == 1 && t.size(0) == channels, op, ": ", what, " ", t.str(), " must be [",
                 channels, "]");
}

}  // namespace

Tensor batch_norm(const Tensor& x,
                  const Tensor& running_mean,
                  const Tensor& running_var,
                  const Tensor& weight,
                  const Tensor& bias,
                  bool training,
                  double momentum,
                  double eps) {
  ENGINE_CHECK(x.dim() >= 2, "batch_norm: input must be [N, C, ...], got ", x.str());
  const std::int64_t channels = x.size(1);
  check_channel_vector(running_mean, channels, "running_mean", "batch_norm");
  check_channel_vector(running_var, channels, "running_var", "batch_norm");
  check_channel_vector(weight, channels, "weight", "batch_norm");
  check_channel_vector(bias, channels, "bias", "batch_norm");
  if (!training) {
    ENGINE_CHECK(running_mean.defined() && running_var.defined(),
                 "batch_norm: eval mode needs running statistics");
    return frozen_batch_norm(x, running_mean, running_var, weight, bias, eps);
  }
  const std::int64_t per_channel = x.numel() / std::max<std::int64_t>(channels, 1);
  ENGINE_CHECK(per_channel > 1, "batch_norm: training needs more than one value per channel, got ",
               x.str());
  // [N, C, *] -> [C, N * prod(*)]: one row per channel.
  std::vector<std::int64_t> order(x.dim());
  for (std::int64_t d = 0; d < x.dim(); ++d) order[d] = d;
  std::swap(order[0], order[1]);
  const Tensor moved = x.permute(order);  // [C, N, *]
  Tensor mean, var;
  const Tensor y_rows = normalize_rows(moved.reshape({channels, -1}), eps, &mean, &var);
  if (running_mean.defined() && running_var.defined()) {
    autograd::NoGradGuard no_grad;
    const double unbias = static_cast<double>(per_channel) / static_cast<double>(per_channel - 1);
    running_mean.copy_(add(mul(running_mean, 1 - momentum), mul(mean.detach(), momentum)));
    running_var.copy_(add(mul(running_var, 1 - momentum), mul(var.detach(), momentum * unbias)));
  }
  const Tensor y = y_rows.reshape(moved.shape()).permute(order);  // back to [N, C, *]
  return affine(y, weight, bias, channel_shape(x));
}

Tensor frozen_batch_norm(const Tensor& x,
                         const Tensor& running_mean,
                         const Tensor& running_var,
                         const Tensor& weight,
                         const Tensor& bias,
                         double eps) {
  ENGINE_CHECK(x.dim() >= 2, "frozen_batch_norm: input must be [N, C, ...], got ", x.str());
  const std::int64_t channels = x.size(1);
  check_channel_vector(running_mean, channels, "running_mean", "frozen_batch_norm");
  check_channel_vector(running_var, channels, "running_var", "frozen_batch_norm");
  Tensor scale = rsqrt(add(running_var, eps));
  if (weight.defined()) scale = mul(scale, weight);
  Tensor shift = neg(mul(running_mean, scale));
  if (bias.defined()) shift = add(shift, bias);
  const Shape shape = channel_shape(x);
  return add(mul(x, scale.reshape(shape)), shift.reshape(shape));
}

Tensor group_norm(const Tensor& x,
                  std::int64_t num_groups,
                  const Tensor& weight,
                  const Tensor& bias,
                  double eps) {
  ENGINE_CHECK(x.dim() >= 2, "group_norm: input must be [N, C, ...], got ", x.str());
  ENGINE_CHECK(num_groups > 0 && x.size(1) % num_groups == 0, "group_norm: ", num_groups,
               " groups do not divide the ", x.size(1), " channels of ", x.str());
  check_channel_vector(weight, x.size(1), "weight", "group_norm");
  check_channel_vector(bias, x.size(1), "bias", "group_norm");
  const Tensor y = normalize_rows(x.reshape({x.size(0) * num_groups, -1}), eps).reshape(x.shape());
  return affine(y, weight, bias, channel_shape(x));
}

Tensor group_norm_silu(const Tensor& x,
                       std::int64_t num_groups,
                       const Tensor& weight,
                       const Tensor& bias,
                       double eps,
                       const Tensor& scale,
                       const Tensor& shift) {
  ENGINE_CHECK(scale.defined() == shift.defined(),
               "group_norm_silu: give scale and shift together");
  Shape per_sample(x.dim(), 1);  // [N, C, 1, ...]
  if (scale.defined()) {
    ENGINE_CHECK(x.dim() >= 2 && scale.dim() == 2 && scale.size(0) == x.size(0) &&
                     scale.size(1) == x.size(1) && shift.shape() == scale.shape(),
                 "group_norm_silu: scale ", scale.str(), " and shift ", shift.str(), " must be [",
                 x.size(0), ", ", x.size(1), "] for ", x.str());
    per_sample[0] = x.size(0);
    per_sample[1] = x.size(1);
  }
  const Tensor scale1 = scale.defined() ? add(scale, 1.0) : Tensor();  // [N, C]
  const std::vector<Tensor> inputs{x, weight, bias, scale1, shift};
  const bool cpu_same_dtype = is_floating(x.dtype()) && std::all_of(
      inputs.begin(), inputs.end(), [&](const Tensor& t) {
        return !t.defined() || (t.device().is_cpu() && t.dtype() == x.dtype());
      });
  if (!cpu_same_dtype || x.dim() < 2) {  // the ops (cuda, mixed dtypes)
    Tensor y = group_norm(x, num_groups, weight, bias, eps);
    if (scale.defined()) y = add(mul(y, scale1.reshape(per_sample)), shift.reshape(per_sample));
    return silu(y);
  }
  ENGINE_CHECK(num_groups > 0 && x.size(1) % num_groups == 0, "group_norm_silu: ", num_groups,
               " groups do not divide the ", x.size(1), " channels of ", x.str());
  check_channel_vector(weight, x.size(1), "weight", "group_norm_silu");
  check_channel_vector(bias, x.size(1), "bias", "group_norm_silu");
  const auto contiguous = [](const Tensor& t) { return t.defined() ? t.contiguous() : Tensor(); };
  const Tensor xc = x.contiguous(), w = contiguous(weight), b = contiguous(bias),
               s1 = contiguous(scale1), sh = contiguous(shift);
  Tensor out = empty_like(xc);
  const bool grad = autograd::needs_graph({xc, w, b, s1, sh});
  const TensorOptions stats{.dtype = x.dtype()};
  const Tensor mean = grad ? empty({x.size(0) * num_groups}, stats) : Tensor();  // [N * groups]
  const Tensor rstd = grad ? empty({x.size(0) * num_groups}, stats) : Tensor();
  if (out.numel() > 0)
    kernels::cpu::group_norm_silu(xc, num_groups, eps, w, b, s1, sh, out, mean, rstd);
  const auto detached = [](const Tensor& t) { return t.defined() ? t.detach() : Tensor(); };
  autograd::record(
      "group_norm_silu", out, {xc, w, b, s1, sh},
      [num_groups, mean, rstd, x = xc.detach(), w = detached(w), b = detached(b),
       s1 = detached(s1), sh = detached(sh)](const Tensor& g, const autograd::NeedsGrad& needs) {
        const auto grad_like = [&](std::size_t i, const Tensor& t) {
          return needs[i] ? empty_like(t) : Tensor();
        };
        const kernels::cpu::GroupNormSiluGrads grads{grad_like(0, x), grad_like(1, w),
                                                     grad_like(2, b), grad_like(3, s1),
                                                     grad_like(4, sh)};
        if (x.numel() > 0)
          kernels::cpu::group_norm_silu_backward(g.contiguous(), x, num_groups, mean, rstd, w, b,
                                                 s1, sh, grads);
        else
          for (const Tensor& t : {grads.weight, grads.bias, grads.scale1, grads.shift})
            if (t.defined()) t.zero_();
        return std::vector<Tensor>{grads.x, grads.weight, grads.bias, grads.scale1, grads.shift};
      });
  return out;
}

Tensor layer_norm(const Tensor& x,
                  const Shape& normalized_shape,
                  const Tensor& weight,
                  const Tensor& bias,
                  double eps) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  ENGINE_CHECK(
      k >= 1 && k <= x.dim() && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape,
      "layer_norm: normalized_shape ", shape_str(normalized_shape),
      " must be the trailing dims of ", x.str());
  for (const Tensor* t : {&weight, &bias})
    if (t->defined())
      ENGINE_CHECK(t->shape() == normalized_shape, "layer_norm: affine parameter ", t->str(),
                   " must have shape ", shape_str(normalized_shape));
  const Tensor y = normalize_rows(x.reshape({-1, numel(normalized_shape)}), eps).reshape(x.shape());
  Tensor out = y;
  if (weight.defined()) out = mul(out, weight);
  if (bias.defined()) out = add(out, bias);
  return out;
}

}  // namespace engine
