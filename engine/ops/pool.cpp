// Pooling front-ends: output-size arithmetic with PyTorch's ceil_mode rule, argument checks,
// and backward through the kernels (max pooling keeps its argmax indices).
#include "kernels/cpu/pool.h"
#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/functional.h"
#include "engine/ops.h"

namespace engine {

namespace {

std::int64_t pooled_size(std::int64_t in,
                         std::int64_t k,
                         std::int64_t s,
                         std::int64_t p,
                         std::int64_t d,
                         bool ceil_mode) {
  const std::int64_t span = d * (k - 1) + 1;
  const std::int64_t numerator = in + 2 * p - span + (ceil_mode ? s - 1 : 0);
  std::int64_t out = numerator / s + 1;
  // With ceil_mode the last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

kernels::cpu::Pool2dGeometry pool_geometry(const Tensor& x,
                                           Pair kernel,
                                           Pair stride,
                                           Pair padding,
                                           Pair dilation,
                                           bool ceil_mode,
                                           const char* op) {
  ENGINE_CHECK(x.dim() == 4, op, ": input must be [N, C, H, W], got ", x.str());
  ENGINE_CHECK(kernel[0] > 0 && kernel[1] > 0 && stride[0] > 0 && stride[1] > 0 &&
                   dilation[0] > 0 && dilation[1] > 0,
               op, ": kernel, stride and dilation must be positive");
  ENGINE_CHECK(padding[0] >= 0 && padding[1] >= 0 && padding[0] * 2 <= kernel[0] &&
                   padding[1] * 2 <= kernel[1],
               op, ": padding must be non-negative and at most half the kernel (PyTorch's rule)");
  for (int d = 0; d < 2; ++d)
    ENGINE_CHECK(dilation[d] * (kernel[d] - 1) + 1 <= x.size(2 + d) + 2 * padding[d], op,
                 ": kernel ", kernel[0], "x", kernel[1], " (dilation ", dilation[0], "x",
                 dilation[1], ") is larger than the padded input ", x.str());
  kernels::cpu::Pool2dGeometry g{x.size(0) * x.size(1),
                                 x.size(2),
                                 x.size(3),
                                 kernel[0],
                                 kernel[1],
                                 stride[0],
                                 stride[1],
                                 padding[0],
                                 padding[1],
                                 dilation[0],
                                 dilation[1],
                                 0,
                                 0};
  g.out_h = pooled_size(g.height, kernel[0], stride[0], padding[0], dilation[0], ceil_mode);
  g.out_w = pooled_size(g.width, kernel[1], stride[1], padding[1], dilation[1], ceil_mode);
  ENGINE_CHECK(g.out_h > 0 && g.out_w > 0, op, ": kernel ", kernel[0], "x", kernel[1],
               " is larger than the padded input ", x.str());
  return g;
}

Tensor pooled_output(const Tensor& x, const kernels::cpu::Pool2dGeometry& g, DType dtype) {
  return empty({x.size(0), x.size(1), g.out_h, g.out_w}, {.dtype = dtype, .device = x.device()});
}

}  // namespace

Tensor max_pool2d(const Tensor& x_in,
                  Pair kernel,
                  std::optional<Pair> stride,
                  Pair padding,
                  Pair dilation,
                  bool ceil_mode) {
  const auto g = pool_geometry(x_in, kernel, stride.value_or(kernel), padding, dilation, ceil_mode,
                               "max_pool2d");
  const Tensor x = x_in.contiguous();
  Tensor out = pooled_output(x, g, x.dtype()), indices = pooled_output(x, g, DType::i64);
  DEVICE_KERNEL(out, max_pool2d_forward(x, g, out, indices));
  autograd::record("max_pool2d", out, {x},
                   [g, indices, shape = x.shape()](const Tensor& grad, const autograd::NeedsGrad&) {
                     Tensor gx = empty(shape, {.dtype = grad.dtype(), .device = grad.device()});
                     DEVICE_KERNEL(gx, max_pool2d_backward(grad.contiguous(), indices, g, gx));
                     return std::vector<Tensor>{gx};
                   });
  return out;
}

Tensor avg_pool2d(const Tensor& x_in,
                  Pair kernel,
                  std::optional<Pair> stride,
                  Pair padding,
                  bool ceil_mode,
                  bool count_include_pad) {
  const auto g = pool_geometry(x_in, kernel, stride.value_or(kernel), padding, {1, 1}, ceil_mode,
                               "avg_pool2d");
  const Tensor x = x_in.contiguous();
  Tensor out = pooled_output(x, g, x.dtype());
  DEVICE_KERNEL(out, avg_pool2d_forward(x, g, count_include_pad, out));
  autograd::record(
      "avg_pool2d", out, {x},
      [g, count_include_pad, shape = x.shape()](const Tensor& grad, const autograd::NeedsGrad&) {
        Tensor gx = empty(shape, {.dtype = grad.dtype(), .device = grad.device()});
        DEVICE_KERNEL(gx, avg_pool2d_backward(grad.contiguous(), g, count_include_pad, gx));
        return std::vector<Tensor>{gx};
      });
  return out;
}

Tensor adaptive_avg_pool2d(const Tensor& x_in, Pair output_size) {
  ENGINE_CHECK(x_in.dim() == 4, "adaptive_avg_pool2d: input must be [N, C, H, W], got ",
               x_in.str());
  ENGINE_CHECK(output_size[0] > 0 && output_size[1] > 0 && x_in.size(2) > 0 && x_in.size(3) > 0,
               "adaptive_avg_pool2d: output size and input size must be positive, got ",
               x_in.str());
  kernels::cpu::Pool2dGeometry g{x_in.size(0) * x_in.size(1),
                                 x_in.size(2),
                                 x_in.size(3),
                                 1,
                                 1,
                                 1,
                                 1,
                                 0,
                                 0,
                                 1,
                                 1,
                                 output_size[0],
                                 output_size[1]};
  const Tensor x = x_in.contiguous();
  Tensor out = pooled_output(x, g, x.dtype());
  DEVICE_KERNEL(out, adaptive_avg_pool2d_forward(x, g, out));
  autograd::record("adaptive_avg_pool2d", out, {x},
                   [g, shape = x.shape()](const Tensor& grad, const autograd::NeedsGrad&) {
                     Tensor gx = empty(shape, {.dtype = grad.dtype(), .device = grad.device()});
                     DEVICE_KERNEL(gx, adaptive_avg_pool2d_backward(grad.contiguous(), g, gx));
                     return std::vector<Tensor>{gx};
                   });
  return out;
}

}  // namespace engine
