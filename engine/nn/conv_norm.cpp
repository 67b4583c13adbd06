// Conv2d and the normalisation layers: parameter registration under PyTorch's names, default
// initialisation, and forward passes through engine/functional.h.
#include "engine/nn/conv_norm.h"

#include <cmath>

namespace engine::nn {

Conv2d::Conv2d(std::int64_t in_channels,
               std::int64_t out_channels,
               Pair kernel,
               Conv2dOptions opts,
               Generator& gen)
    : options(opts) {
  ENGINE_CHECK(in_channels > 0 && out_channels > 0 && kernel[0] > 0 && kernel[1] > 0 &&
                   opts.groups > 0 && in_channels % opts.groups == 0 &&
                   out_channels % opts.groups == 0,
               "Conv2d: bad sizes ", in_channels, " -> ", out_channels, " kernel ", kernel[0], "x",
               kernel[1], " groups ", opts.groups);
  const std::int64_t fan_in = in_channels / opts.groups * kernel[0] * kernel[1];
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  Tensor w = empty({out_channels, in_channels / opts.groups, kernel[0], kernel[1]});
  weight = register_parameter("weight", uniform_(w, -bound, bound, gen));
  if (opts.bias) {
    Tensor b = empty({out_channels});
    bias = register_parameter("bias", uniform_(b, -bound, bound, gen));
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, options.stride, options.padding, options.dilation, options.groups);
}

BatchNorm2d::BatchNorm2d(std::int64_t channels, double eps_, double momentum_)
    : eps(eps_), momentum(momentum_) {
  weight = register_parameter("weight", ones({channels}));
  bias = register_parameter("bias", zeros({channels}));
  running_mean = register_buffer("running_mean", zeros({channels}));
  running_var = register_buffer("running_var", ones({channels}));
  num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = DType::i64}));
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (is_training()) num_batches_tracked.fill_(num_batches_tracked.item() + 1);
  return batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum, eps);
}

FrozenBatchNorm2d::FrozenBatchNorm2d(std::int64_t channels, double eps_, bool trainable_affine)
    : eps(eps_) {
  weight = trainable_affine ? register_parameter("weight", ones({channels}))
                            : register_buffer("weight", ones({channels}));
  bias = trainable_affine ? register_parameter("bias", zeros({channels}))
                          : register_buffer("bias", zeros({channels}));
  running_mean = register_buffer("running_mean", zeros({channels}));
  running_var = register_buffer("running_var", ones({channels}));
}

Tensor FrozenBatchNorm2d::forward(const Tensor& x) {
  return frozen_batch_norm(x, running_mean, running_var, weight, bias, eps);
}

GroupNorm::GroupNorm(std::int64_t groups, std::int64_t channels, double eps_)
    : num_groups(groups), eps(eps_) {
  ENGINE_CHECK(groups > 0 && channels % groups == 0, "GroupNorm: ", groups,
               " groups do not divide ", channels, " channels");
  weight = register_parameter("weight", ones({channels}));
  bias = register_parameter("bias", zeros({channels}));
}

Tensor GroupNorm::forward(const Tensor& x) {
  return group_norm(x, num_groups, weight, bias, eps);
}

}  // namespace engine::nn
