// Layer-level differentiable ops with torch.nn.functional's names and semantics: convolution,
// pooling, resizing, normalisation, attention, dropout and the diffusion timestep embedding.
#pragma once

#include <array>
#include <optional>

#include "engine/random.h"
#include "engine/tensor.h"

namespace engine {

using Pair = std::array<std::int64_t, 2>;  // (height, width)

// x [N, C, H, W], weight [O, C / groups, kh, kw], bias [O] or undefined -> [N, O, H', W']
Tensor conv2d(const Tensor& x,
              const Tensor& weight,
              const Tensor& bias = {},
              Pair stride = {1, 1},
              Pair padding = {0, 0},
              Pair dilation = {1, 1},
              std::int64_t groups = 1);

// Pooling on [N, C, H, W]; stride defaults to the kernel size (as PyTorch).
Tensor max_pool2d(const Tensor& x,
                  Pair kernel,
                  std::optional<Pair> stride = std::nullopt,
                  Pair padding = {0, 0},
                  Pair dilation = {1, 1},
                  bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& x,
                  Pair kernel,
                  std::optional<Pair> stride = std::nullopt,
                  Pair padding = {0, 0},
                  bool ceil_mode = false,
                  bool count_include_pad = true);
Tensor adaptive_avg_pool2d(const Tensor& x, Pair output_size);

// Resizing [N, C, H, W] to `size` (FPN's top-down path) or by integer factors.
Tensor upsample_nearest(const Tensor& x, Pair size);
Tensor upsample_nearest(const Tensor& x, std::int64_t scale_factor);
Tensor upsample_bilinear(const Tensor& x, Pair size, bool align_corners = false);

// Batch norm over [N, C, ...]: training uses batch statistics and updates the running ones
// (running_var with the unbiased variance, as PyTorch); eval uses the running statistics.
// running_mean/var may be undefined in training (no tracking).
Tensor batch_norm(const Tensor& x,
                  const Tensor& running_mean,
                  const Tensor& running_var,
                  const Tensor& weight,
                  const Tensor& bias,
                  bool training,
                  double momentum = 0.1,
                  double eps = 1e-5);
// Frozen batch norm (torchvision's FrozenBatchNorm2d): y = x * scale + shift with
// scale = weight / sqrt(running_var + eps), shift = bias - running_mean * scale; nothing trains.
Tensor frozen_batch_norm(const Tensor& x,
                         const Tensor& running_mean,
                         const Tensor& running_var,
                         const Tensor& weight,
                         const Tensor& bias,
                         double eps = 1e-5);
Tensor group_norm(const Tensor& x,
                  std::int64_t num_groups,
                  const Tensor& weight = {},
                  const Tensor& bias = {},
                  double eps = 1e-5);
// silu(group_norm(x) * (1 + scale) + shift), the UNet's norm-then-activation; scale and shift
// [N, C] per sample (both or neither). On the CPU it is one fused pass with the same result as
// the ops and a fused backward (kernels/cpu/group_norm_silu.h); on cuda it is those ops.
Tensor group_norm_silu(const Tensor& x,
                       std::int64_t num_groups,
                       const Tensor& weight = {},
                       const Tensor& bias = {},
                       double eps = 1e-5,
                       const Tensor& scale = {},
                       const Tensor& shift = {});
// Normalises over the trailing dims given by normalized_shape.
Tensor layer_norm(const Tensor& x,
                  const Shape& normalized_shape,
                  const Tensor& weight = {},
                  const Tensor& bias = {},
                  double eps = 1e-5);

// softmax(q k^T * scale + mask) v; q [..., L, E], k [..., S, E], v [..., S, Ev]; mask bool
// (true = attend) or float (added), broadcast to [..., L, S]. scale defaults to 1/sqrt(E).
Tensor scaled_dot_product_attention(const Tensor& q,
                                    const Tensor& k,
                                    const Tensor& v,
                                    const Tensor& mask = {},
                                    std::optional<double> scale = std::nullopt);

// Zeroes elements with probability p and scales the rest by 1/(1-p) in training; identity
// otherwise. The mask comes from the Philox generator, so CPU and CUDA drop the same elements for a
// seed.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen = default_generator());

// Sinusoidal embedding of timesteps t [N] -> [N, dim]: [cos(t f_i), sin(t f_i)] with
// f_i = exp(-ln(max_period) i / half), i < half = dim / 2 (guided-diffusion / diffusers with
// flip_sin_to_cos, shift 0); an odd dim gets a zero column at the end.
Tensor timestep_embedding(const Tensor& t, std::int64_t dim, double max_period = 10000.0);

}  // namespace engine
