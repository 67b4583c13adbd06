// The CUDA backend's layer ops: conv2d, pooling, resize, row normalisation and RoIAlign, each
// handing contiguous f32 device tensors and the CPU oracle's geometry to the kernels/cuda launcher.
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/norm.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/resize.h"
#include "kernels/cuda/roi_align.h"

namespace engine::cuda_backend {

void conv2d_forward(const Tensor& x,
                    const Tensor& weight,
                    const Tensor& bias,
                    const kernels::cpu::Conv2dGeometry& g,
                    const Tensor& out) {
  kernels::cuda::conv2d_forward_f32(f32(x, "conv2d"), f32(weight, "conv2d"), f32(bias, "conv2d"), g,
                                    f32(out, "conv2d"), stream());
}

void conv2d_backward(const Tensor& grad_out,
                     const Tensor& x,
                     const Tensor& weight,
                     const kernels::cpu::Conv2dGeometry& g,
                     const Tensor& grad_x,
                     const Tensor& grad_weight,
                     const Tensor& grad_bias) {
  const float* grad = f32(grad_out, "conv2d backward");
  if (grad_x.defined())
    kernels::cuda::conv2d_backward_data_f32(grad, f32(weight, "conv2d backward"), g,
                                            f32(grad_x, "conv2d backward"), stream());
  if (grad_weight.defined())
    kernels::cuda::conv2d_backward_weight_f32(grad, f32(x, "conv2d backward"), g,
                                              f32(grad_weight, "conv2d backward"), stream());
  if (grad_bias.defined())
    kernels::cuda::conv2d_backward_bias_f32(grad, g, f32(grad_bias, "conv2d backward"), stream());
}

void max_pool2d_forward(const Tensor& x,
                        const kernels::cpu::Pool2dGeometry& g,
                        const Tensor& out,
                        const Tensor& indices) {
  kernels::cuda::max_pool2d_forward_f32(f32(x, "max_pool2d"), g, f32(out, "max_pool2d"),
                                        device_pointer<std::int64_t>(indices), stream());
}

void max_pool2d_backward(const Tensor& grad_out,
                         const Tensor& indices,
                         const kernels::cpu::Pool2dGeometry& g,
                         const Tensor& grad_x) {
  kernels::cuda::max_pool2d_backward_f32(f32(grad_out, "max_pool2d backward"),
                                         device_pointer<const std::int64_t>(indices), g,
                                         f32(grad_x, "max_pool2d backward"), stream());
}

void avg_pool2d_forward(const Tensor& x,
                        const kernels::cpu::Pool2dGeometry& g,
                        bool count_include_pad,
                        const Tensor& out) {
  kernels::cuda::avg_pool2d_forward_f32(f32(x, "avg_pool2d"), g, count_include_pad,
                                        f32(out, "avg_pool2d"), stream());
}

void avg_pool2d_backward(const Tensor& grad_out,
                         const kernels::cpu::Pool2dGeometry& g,
                         bool count_include_pad,
                         const Tensor& grad_x) {
  kernels::cuda::avg_pool2d_backward_f32(f32(grad_out, "avg_pool2d backward"), g, count_include_pad,
                                         f32(grad_x, "avg_pool2d backward"), stream());
}

void adaptive_avg_pool2d_forward(const Tensor& x,
                                 const kernels::cpu::Pool2dGeometry& g,
                                 const Tensor& out) {
  kernels::cuda::adaptive_avg_pool2d_forward_f32(f32(x, "adaptive_avg_pool2d"), g,
                                                 f32(out, "adaptive_avg_pool2d"), stream());
}

void adaptive_avg_pool2d_backward(const Tensor& grad_out,
                                  const kernels::cpu::Pool2dGeometry& g,
                                  const Tensor& grad_x) {
  kernels::cuda::adaptive_avg_pool2d_backward_f32(f32(grad_out, "adaptive_avg_pool2d backward"), g,
                                                  f32(grad_x, "adaptive_avg_pool2d backward"),
                                                  stream());
}

void upsample_nearest2d(const Tensor& x, const kernels::cpu::ResizeGeometry& g, const Tensor& out) {
  kernels::cuda::upsample_nearest2d_f32(f32(x, "upsample_nearest"), g, f32(out, "upsample_nearest"),
                                        stream());
}

void upsample_nearest2d_backward(const Tensor& grad_out,
                                 const kernels::cpu::ResizeGeometry& g,
                                 const Tensor& grad_x) {
  kernels::cuda::upsample_nearest2d_backward_f32(f32(grad_out, "upsample_nearest backward"), g,
                                                 f32(grad_x, "upsample_nearest backward"),
                                                 stream());
}

void upsample_bilinear2d(const Tensor& x,
                         const kernels::cpu::ResizeGeometry& g,
                         const Tensor& out) {
  kernels::cuda::upsample_bilinear2d_f32(f32(x, "upsample_bilinear"), g,
                                         f32(out, "upsample_bilinear"), stream());
}

void upsample_bilinear2d_backward(const Tensor& grad_out,
                                  const kernels::cpu::ResizeGeometry& g,
                                  const Tensor& grad_x) {
  kernels::cuda::upsample_bilinear2d_backward_f32(f32(grad_out, "upsample_bilinear backward"), g,
                                                  f32(grad_x, "upsample_bilinear backward"),
                                                  stream());
}

void row_norm_forward(
    const Tensor& x, double eps, const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  const std::int64_t rows = x.size(0), cols = x.size(1);  // contiguous rows: {R, 1, M, M}
  kernels::cuda::row_norm_forward_f32(
      f32(x, "normalization"), {rows, 1, cols, cols}, static_cast<float>(eps),
      f32(y, "normalization"), f32(mean, "normalization"), f32(rstd, "normalization"), stream());
}

void row_norm_backward(const Tensor& grad_y,
                       const Tensor& y,
                       const Tensor& rstd,
                       const Tensor& grad_x) {
  const std::int64_t rows = y.size(0), cols = y.size(1);
  kernels::cuda::row_norm_backward_f32(f32(grad_y, "normalization backward"),
                                       f32(y, "normalization backward"),
                                       f32(rstd, "normalization backward"), {rows, 1, cols, cols},
                                       f32(grad_x, "normalization backward"), stream());
}

void roi_align(const Tensor& x,
               const Tensor& rois,
               const kernels::cpu::RoiAlignParams& p,
               const Tensor& out) {
  kernels::cuda::roi_align_forward_f32(f32(x, "roi_align"), x.size(1), x.size(2), x.size(3),
                                       f32(rois, "roi_align"), rois.size(0), p,
                                       f32(out, "roi_align"), stream());
}

void roi_align_backward(const Tensor& grad_out,
                        const Tensor& rois,
                        const kernels::cpu::RoiAlignParams& p,
                        const Tensor& grad_x) {
  kernels::cuda::roi_align_backward_f32(
      f32(grad_out, "roi_align backward"), f32(rois, "roi_align backward"), rois.size(0), p,
      grad_x.size(1), grad_x.size(2), grad_x.size(3), f32(grad_x, "roi_align backward"), stream());
}

}  // namespace engine::cuda_backend
