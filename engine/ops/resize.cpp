// Resizing front-ends (nearest and bilinear): size checks, kernel calls and backward.
// Both map [N, C, H, W] to [N, C, out_h, out_w].
#include "kernels/cpu/resize.h"
#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/functional.h"
#include "engine/ops.h"

namespace engine {

namespace {

enum class Mode { nearest, bilinear };

Tensor resize(const Tensor& x_in, Pair size, Mode mode, bool align_corners) {
  const char* op = mode == Mode::nearest ? "upsample_nearest" : "upsample_bilinear";
  ENGINE_CHECK(x_in.dim() == 4, op, ": input must be [N, C, H, W], got ", x_in.str());
  ENGINE_CHECK(size[0] > 0 && size[1] > 0 && x_in.size(2) > 0 && x_in.size(3) > 0, op,
               ": input and output sizes must be positive, got ", x_in.str(), " to ", size[0], "x",
               size[1]);
  const kernels::cpu::ResizeGeometry g{
      x_in.size(0) * x_in.size(1), x_in.size(2), x_in.size(3), size[0], size[1], align_corners};
  const Tensor x = x_in.contiguous();
  Tensor out =
      empty({x.size(0), x.size(1), size[0], size[1]}, {.dtype = x.dtype(), .device = x.device()});
  if (mode == Mode::nearest)
    DEVICE_KERNEL(out, upsample_nearest2d(x, g, out));
  else
    DEVICE_KERNEL(out, upsample_bilinear2d(x, g, out));
  autograd::record(op, out, {x},
                   [g, mode, shape = x.shape()](const Tensor& grad, const autograd::NeedsGrad&) {
                     Tensor gx = empty(shape, {.dtype = grad.dtype(), .device = grad.device()});
                     if (mode == Mode::nearest)
                       DEVICE_KERNEL(gx, upsample_nearest2d_backward(grad.contiguous(), g, gx));
                     else
                       DEVICE_KERNEL(gx, upsample_bilinear2d_backward(grad.contiguous(), g, gx));
                     return std::vector<Tensor>{gx};
                   });
  return out;
}

}  // namespace

Tensor upsample_nearest(const Tensor& x, Pair size) {
  return resize(x, size, Mode::nearest, false);
}

Tensor upsample_nearest(const Tensor& x, std::int64_t scale_factor) {
  ENGINE_CHECK(scale_factor > 0 && x.dim() == 4,
               "upsample_nearest: need a positive factor and [N, C, H, W] input, got ",
               scale_factor, " and ", x.str());
  return upsample_nearest(x, {x.size(2) * scale_factor, x.size(3) * scale_factor});
}

Tensor upsample_bilinear(const Tensor& x, Pair size, bool align_corners) {
  return resize(x, size, Mode::bilinear, align_corners);
}

}  // namespace engine
