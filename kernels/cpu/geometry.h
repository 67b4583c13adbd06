// Plain parameter structs of the layer kernels (sizes only, no engine types), shared by the CPU
// oracle (kernels/cpu) and the CUDA launchers (kernels/cuda), so that both take the same geometry.
#pragma once

#include <cstdint>

namespace kernels::cpu {

struct Conv2dGeometry {
  std::int64_t batch, in_channels, height, width;         // input  [N, C, H, W]
  std::int64_t out_channels, kernel_h, kernel_w, groups;  // weight [O, C / groups, kh, kw]
  std::int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  std::int64_t out_h, out_w;  // output [N, O, out_h, out_w]
};

struct Pool2dGeometry {
  std::int64_t planes, height, width;  // input viewed as [N*C, H, W]
  std::int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  std::int64_t out_h, out_w;
};

struct ResizeGeometry {
  std::int64_t planes, in_h, in_w, out_h, out_w;
  bool align_corners = false;  // bilinear only
};

struct RoiAlignParams {
  std::int64_t pooled_height = 7;
  std::int64_t pooled_width = 7;
  double spatial_scale = 1.0;       // feature-map pixels per box unit (1 / stride)
  std::int64_t sampling_ratio = 0;  // samples per bin side; 0 = ceil(roi size / pooled size)
  bool aligned = false;             // true: shift boxes by -0.5 pixel (pixel-centre model)
};

}  // namespace kernels::cpu
