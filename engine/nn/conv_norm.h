// Convolution and normalisation layers with PyTorch's parameter names and default init:
// Conv2d, BatchNorm2d, FrozenBatchNorm2d (torchvision: all four tensors are buffers), GroupNorm.
#pragma once

#include "engine/functional.h"
#include "engine/nn/module.h"

namespace engine::nn {

struct Conv2dOptions {
  Pair stride{1, 1};
  Pair padding{0, 0};
  Pair dilation{1, 1};
  std::int64_t groups = 1;
  bool bias = true;
};

// weight [out, in / groups, kh, kw], bias [out]; kaiming-uniform(a = sqrt(5)) as torch.nn.Conv2d.
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels,
         std::int64_t out_channels,
         Pair kernel,
         Conv2dOptions options = {},
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;  // [N, in, H, W] -> [N, out, H', W']
  Tensor weight, bias;
  Conv2dOptions options;
};

// Trainable batch norm with running statistics (momentum 0.1, eps 1e-5 by default).
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(std::int64_t channels, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double eps, momentum;
};

// Batch norm with fixed statistics (torchvision.ops.FrozenBatchNorm2d): the state dict keys are
// weight, bias, running_mean, running_var as in torchvision's detectors. By default every tensor
// is a buffer (nothing trains); with trainable_affine, weight and bias are parameters while the
// statistics stay fixed in train mode too (MMDetection's BatchNorm with norm_eval=True,
// requires_grad=True).
class FrozenBatchNorm2d : public Module {
 public:
  explicit FrozenBatchNorm2d(std::int64_t channels,
                             double eps = 1e-5,
                             bool trainable_affine = false);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias, running_mean, running_var;
  double eps;
};

class GroupNorm : public Module {
 public:
  GroupNorm(std::int64_t num_groups, std::int64_t channels, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;
  std::int64_t num_groups;
  double eps;
};

}  // namespace engine::nn
