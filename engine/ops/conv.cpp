// conv2d front-end: shape and parameter checks with messages that name the operands, output
// size arithmetic, and the backward that asks the kernel only for the gradients needed.
#include "kernels/cpu/conv.h"
#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/functional.h"
#include "engine/ops.h"

namespace engine {

Tensor conv2d(const Tensor& x_in,
              const Tensor& weight_in,
              const Tensor& bias,
              Pair stride,
              Pair padding,
              Pair dilation,
              std::int64_t groups) {
  ENGINE_CHECK(x_in.dim() == 4, "conv2d: input must be [N, C, H, W], got ", x_in.str());
  ENGINE_CHECK(weight_in.dim() == 4, "conv2d: weight must be [O, C/groups, kh, kw], got ",
               weight_in.str());
  check_same_dtype(x_in, weight_in, "conv2d");
  check_same_device(x_in, weight_in, "conv2d");
  ENGINE_CHECK(groups > 0 && x_in.size(1) % groups == 0 && weight_in.size(0) % groups == 0,
               "conv2d: groups ", groups, " must divide input channels ", x_in.size(1),
               " and output channels ", weight_in.size(0));
  ENGINE_CHECK(weight_in.size(1) * groups == x_in.size(1), "conv2d: weight ", weight_in.str(),
               " expects ", weight_in.size(1) * groups, " input channels, input ", x_in.str(),
               " has ", x_in.size(1));
  ENGINE_CHECK(stride[0] > 0 && stride[1] > 0 && dilation[0] > 0 && dilation[1] > 0 &&
                   padding[0] >= 0 && padding[1] >= 0,
               "conv2d: stride and dilation must be positive and padding non-negative");
  if (bias.defined())
    ENGINE_CHECK(bias.dim() == 1 && bias.size(0) == weight_in.size(0), "conv2d: bias ", bias.str(),
                 " does not match weight ", weight_in.str());
  kernels::cpu::Conv2dGeometry g{x_in.size(0),
                                 x_in.size(1),
                                 x_in.size(2),
                                 x_in.size(3),
                                 weight_in.size(0),
                                 weight_in.size(2),
                                 weight_in.size(3),
                                 groups,
                                 stride[0],
                                 stride[1],
                                 padding[0],
                                 padding[1],
                                 dilation[0],
                                 dilation[1],
                                 0,
                                 0};
  const std::int64_t span_h = dilation[0] * (g.kernel_h - 1) + 1,
                     span_w = dilation[1] * (g.kernel_w - 1) + 1;
  ENGINE_CHECK(g.height + 2 * padding[0] >= span_h && g.width + 2 * padding[1] >= span_w,
               "conv2d: kernel ", g.kernel_h, "x", g.kernel_w, " (dilated ", span_h, "x", span_w,
               ") is larger than the padded input ", g.height + 2 * padding[0], "x",
               g.width + 2 * padding[1], " of ", x_in.str());
  g.out_h = (g.height + 2 * padding[0] - span_h) / stride[0] + 1;
  g.out_w = (g.width + 2 * padding[1] - span_w) / stride[1] + 1;

  const Tensor x = x_in.contiguous(), weight = weight_in.contiguous();
  Tensor out = empty({g.batch, g.out_channels, g.out_h, g.out_w},
                     {.dtype = x.dtype(), .device = x.device()});
  if (bias.defined()) check_same_device(x, bias, "conv2d");
  DEVICE_KERNEL(out,
                conv2d_forward(x, weight, bias.defined() ? bias.contiguous() : Tensor(), g, out));
  autograd::record(
      "conv2d", out, {x, weight, bias},
      [g, x = x.detach(), weight = weight.detach()](const Tensor& grad,
                                                    const autograd::NeedsGrad& needs) {
        Tensor gx = needs[0] ? empty_like(x) : Tensor();
        Tensor gw = needs[1] ? (g.batch == 0 ? zeros_like(weight) : empty_like(weight)) : Tensor();
        Tensor gb = needs[2] ? empty({g.out_channels}, {.dtype = x.dtype(), .device = x.device()})
                             : Tensor();
        DEVICE_KERNEL(grad, conv2d_backward(grad.contiguous(), x, weight, g, gx, gw, gb));
        return std::vector<Tensor>{gx, gw, gb};
      });
  return out;
}

}  // namespace engine
