// Box kernels: a thread per IoU pair, per encoded box, per decoded (box, class) quadruple, or
// per box for its FPN level, each written in the order the CPU oracle evaluates it.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/box_iou.cuh"
#include "kernels/cuda/box_ops.h"
#include "kernels/cuda/grid_stride.cuh"

namespace kernels::cuda {
namespace {

struct Weights {
  float x, y, w, h;
};

Weights to_weights(const std::array<double, 4>& w) {
  return {static_cast<float>(w[0]), static_cast<float>(w[1]), static_cast<float>(w[2]),
          static_cast<float>(w[3])};
}

// The width, height and centre of box [4].
struct Geometry {
  float w, h, cx, cy;
};
__device__ Geometry geometry_of(const float* b) {
  const float w = b[2] - b[0], h = b[3] - b[1];
  return {w, h, __fadd_rn(b[0], __fmul_rn(0.5f, w)), __fadd_rn(b[1], __fmul_rn(0.5f, h))};
}

__global__ void box_iou_kernel(
    const float* a, std::int64_t n, const float* b, std::int64_t m, float* out) {
  const std::int64_t total = n * m;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const float* p = a + (e / m) * 4;
    const float* q = b + (e % m) * 4;
    out[e] = box_iou_of(p, box_area(p[0], p[1], p[2], p[3]), q, box_area(q[0], q[1], q[2], q[3]));
  }
}

__global__ void encode_kernel(
    const float* reference, const float* proposals, std::int64_t k, Weights wt, float* out) {
  for (std::int64_t i = first_element(); i < k; i += element_stride()) {
    const Geometry e = geometry_of(proposals + i * 4), g = geometry_of(reference + i * 4);
    out[i * 4 + 0] = __fdiv_rn(__fmul_rn(wt.x, g.cx - e.cx), e.w);
    out[i * 4 + 1] = __fdiv_rn(__fmul_rn(wt.y, g.cy - e.cy), e.h);
    out[i * 4 + 2] = wt.w * logf(g.w / e.w);
    out[i * 4 + 3] = wt.h * logf(g.h / e.h);
  }
}

__global__ void decode_kernel(const float* codes,
                              const float* boxes,
                              std::int64_t k,
                              std::int64_t classes,
                              Weights wt,
                              float clip,
                              float* out) {
  const std::int64_t total = k * classes;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const Geometry b = geometry_of(boxes + (e / classes) * 4);
    const float* c = codes + e * 4;
    const float dx = c[0] / wt.x, dy = c[1] / wt.y;
    const float dw = fminf(c[2] / wt.w, clip), dh = fminf(c[3] / wt.h, clip);
    const float pcx = __fadd_rn(__fmul_rn(dx, b.w), b.cx),
                pcy = __fadd_rn(__fmul_rn(dy, b.h), b.cy);
    const float half_w = 0.5f * (expf(dw) * b.w), half_h = 0.5f * (expf(dh) * b.h);
    float* o = out + e * 4;
    o[0] = pcx - half_w;
    o[1] = pcy - half_h;
    o[2] = pcx + half_w;
    o[3] = pcy + half_h;
  }
}

__global__ void decode_backward_kernel(const float* grad_out,
                                       const float* codes,
                                       const float* boxes,
                                       std::int64_t k,
                                       std::int64_t classes,
                                       Weights wt,
                                       float clip,
                                       float* grad_codes) {
  const std::int64_t total = k * classes;
  for (std::int64_t e = first_element(); e < total; e += element_stride()) {
    const Geometry b = geometry_of(boxes + (e / classes) * 4);
    const float* c = codes + e * 4;
    const float* g = grad_out + e * 4;
    const float dw = c[2] / wt.w, dh = c[3] / wt.h;
    float* o = grad_codes + e * 4;
    o[0] = (g[0] + g[2]) * b.w / wt.x;
    o[1] = (g[1] + g[3]) * b.h / wt.y;
    // x2 - x1 = exp(dw) w, so d/d(dw) of (x1, x2) = (-1/2, 1/2) exp(dw) w.
    o[2] = dw <= clip ? (g[2] - g[0]) * 0.5f * expf(dw) * b.w / wt.w : 0.0f;
    o[3] = dh <= clip ? (g[3] - g[1]) * 0.5f * expf(dh) * b.h / wt.h : 0.0f;
  }
}

__global__ void fpn_levels_kernel(const float* boxes,
                                  std::int64_t k,
                                  std::int64_t k_min,
                                  std::int64_t k_max,
                                  float canonical_scale,
                                  float canonical_level,
                                  float eps,
                                  std::int64_t* out) {
  for (std::int64_t e = first_element(); e < k; e += element_stride()) {
    const float* b = boxes + e * 4;
    const float area = __fmul_rn(b[2] - b[0], b[3] - b[1]);
    if (!(area > 0.0f)) {  // empty, inverted or NaN box: the finest level
      out[e] = 0;
      continue;
    }
    const float level = floorf(canonical_level + log2f(sqrtf(area) / canonical_scale) + eps);
    // Clamped before the cast, so huge (or infinite) boxes land on k_max.
    out[e] = static_cast<std::int64_t>(
                 fminf(fmaxf(level, static_cast<float>(k_min)), static_cast<float>(k_max))) -
             k_min;
  }
}

}  // namespace

void fpn_levels_f32(const float* boxes,
                    std::int64_t k,
                    const FpnLevelMapping& m,
                    std::int64_t* out,
                    cudaStream_t stream) {
  launch_elements(k, stream, fpn_levels_kernel, boxes, k, m.k_min, m.k_max,
                  static_cast<float>(m.canonical_scale), static_cast<float>(m.canonical_level),
                  static_cast<float>(m.eps), out);
}

void box_iou_f32(const float* a,
                 std::int64_t n,
                 const float* b,
                 std::int64_t m,
                 float* out,
                 cudaStream_t stream) {
  launch_elements(n * m, stream, box_iou_kernel, a, n, b, m, out);
}

void encode_boxes_f32(const float* reference,
                      const float* proposals,
                      std::int64_t k,
                      const std::array<double, 4>& weights,
                      float* out,
                      cudaStream_t stream) {
  launch_elements(k, stream, encode_kernel, reference, proposals, k, to_weights(weights), out);
}

void decode_boxes_f32(const float* codes,
                      const float* boxes,
                      std::int64_t k,
                      std::int64_t classes,
                      const std::array<double, 4>& weights,
                      double clip,
                      float* out,
                      cudaStream_t stream) {
  launch_elements(k * classes, stream, decode_kernel, codes, boxes, k, classes, to_weights(weights),
                  static_cast<float>(clip), out);
}

void decode_boxes_backward_f32(const float* grad_out,
                               const float* codes,
                               const float* boxes,
                               std::int64_t k,
                               std::int64_t classes,
                               const std::array<double, 4>& weights,
                               double clip,
                               float* grad_codes,
                               cudaStream_t stream) {
  launch_elements(k * classes, stream, decode_backward_kernel, grad_out, codes, boxes, k, classes,
                  to_weights(weights), static_cast<float>(clip), grad_codes);
}

}  // namespace kernels::cuda
