// The IoU of two (x1, y1, x2, y2) boxes on the device, in the CPU oracle's float operations with
// no fma contraction, so box_iou and nms decide exactly as kernels/cpu does.
#pragma once

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

__device__ __forceinline__ float box_area(float x1, float y1, float x2, float y2) {
  return __fmul_rn(x2 - x1, y2 - y1);
}

// inter / (area_a + area_b - inter); 0 when the union is 0 (both boxes empty).
__device__ __forceinline__ float box_iou_of(const float* a,
                                            float area_a,
                                            const float* b,
                                            float area_b) {
  const float w = fmaxf(0.0f, fminf(a[2], b[2]) - fmaxf(a[0], b[0]));
  const float h = fmaxf(0.0f, fminf(a[3], b[3]) - fmaxf(a[1], b[1]));
  const float inter = __fmul_rn(w, h);
  const float uni = __fsub_rn(__fadd_rn(area_a, area_b), inter);
  return uni == 0.0f ? 0.0f : __fdiv_rn(inter, uni);
}

}  // namespace kernels::cuda
