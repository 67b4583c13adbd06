// CPU box arithmetic: IoU matrix, box coder forward/backward and FPN level assignment, written
// in the order torchvision evaluates them so that f32 results agree to the last bits.
#include "kernels/cpu/box_ops.h"

#include <algorithm>
#include <cmath>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

void box_iou(const Tensor& a, const Tensor& b, const Tensor& out) {
  const std::int64_t n = a.size(0), m = b.size(0);
  engine::dispatch_float(a.dtype(), "box_iou", [&](auto tag) {
    using T = decltype(tag);
    const T* ap = a.data_ptr<T>();
    const T* bp = b.data_ptr<T>();
    T* op = out.data_ptr<T>();
    parallel_for(n, m * 8, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const T* p = ap + i * 4;
        const T area1 = (p[2] - p[0]) * (p[3] - p[1]);
        for (std::int64_t j = 0; j < m; ++j) {
          const T* q = bp + j * 4;
          const T area2 = (q[2] - q[0]) * (q[3] - q[1]);
          const T w = std::max(T(0), std::min(p[2], q[2]) - std::max(p[0], q[0]));
          const T h = std::max(T(0), std::min(p[3], q[3]) - std::max(p[1], q[1]));
          const T inter = w * h;
          const T uni = area1 + area2 - inter;
          op[i * m + j] = uni == T(0) ? T(0) : inter / uni;
        }
      }
    });
  });
}

void encode_boxes(const Tensor& reference,
                  const Tensor& proposals,
                  const std::array<double, 4>& weights,
                  const Tensor& out) {
  engine::dispatch_float(reference.dtype(), "encode_boxes", [&](auto tag) {
    using T = decltype(tag);
    const T* r = reference.data_ptr<T>();
    const T* p = proposals.data_ptr<T>();
    T* o = out.data_ptr<T>();
    const T wx = static_cast<T>(weights[0]), wy = static_cast<T>(weights[1]);
    const T ww = static_cast<T>(weights[2]), wh = static_cast<T>(weights[3]);
    parallel_for(reference.size(0), 32, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t k = begin; k < end; ++k) {
        const T* g = r + k * 4;
        const T* e = p + k * 4;
        const T ex_w = e[2] - e[0], ex_h = e[3] - e[1];
        const T ex_cx = e[0] + T(0.5) * ex_w, ex_cy = e[1] + T(0.5) * ex_h;
        const T gt_w = g[2] - g[0], gt_h = g[3] - g[1];
        const T gt_cx = g[0] + T(0.5) * gt_w, gt_cy = g[1] + T(0.5) * gt_h;
        o[k * 4 + 0] = wx * (gt_cx - ex_cx) / ex_w;
        o[k * 4 + 1] = wy * (gt_cy - ex_cy) / ex_h;
        o[k * 4 + 2] = ww * std::log(gt_w / ex_w);
        o[k * 4 + 3] = wh * std::log(gt_h / ex_h);
      }
    });
  });
}

namespace {
// Walks every (box k, class c) code quadruple with the box geometry, calling
// body(code, box_w, box_h, box_cx, box_cy, quad_index) where code points at 4 values.
template <typename T, typename Body>
void for_each_code(const Tensor& codes, const Tensor& boxes, Body body) {
  const std::int64_t k_count = codes.size(0), per_box = codes.size(1) / 4;
  const T* b = boxes.data_ptr<T>();
  parallel_for(k_count, per_box * 32, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t k = begin; k < end; ++k) {
      const T w = b[k * 4 + 2] - b[k * 4], h = b[k * 4 + 3] - b[k * 4 + 1];
      const T cx = b[k * 4] + T(0.5) * w, cy = b[k * 4 + 1] + T(0.5) * h;
      for (std::int64_t c = 0; c < per_box; ++c) body(w, h, cx, cy, (k * per_box + c) * 4);
    }
  });
}
}  // namespace

void decode_boxes(const Tensor& codes,
                  const Tensor& boxes,
                  const std::array<double, 4>& weights,
                  double clip,
                  const Tensor& out) {
  engine::dispatch_float(codes.dtype(), "decode_boxes", [&](auto tag) {
    using T = decltype(tag);
    const T* cp = codes.data_ptr<T>();
    T* op = out.data_ptr<T>();
    const T wx = static_cast<T>(weights[0]), wy = static_cast<T>(weights[1]);
    const T ww = static_cast<T>(weights[2]), wh = static_cast<T>(weights[3]),
            tclip = static_cast<T>(clip);
    for_each_code<T>(codes, boxes, [&](T w, T h, T cx, T cy, std::int64_t q) {
      const T dx = cp[q] / wx, dy = cp[q + 1] / wy;
      const T dw = std::min(cp[q + 2] / ww, tclip), dh = std::min(cp[q + 3] / wh, tclip);
      const T pcx = dx * w + cx, pcy = dy * h + cy;
      const T half_w = T(0.5) * (std::exp(dw) * w), half_h = T(0.5) * (std::exp(dh) * h);
      op[q] = pcx - half_w;
      op[q + 1] = pcy - half_h;
      op[q + 2] = pcx + half_w;
      op[q + 3] = pcy + half_h;
    });
  });
}

void decode_boxes_backward(const Tensor& grad_out,
                           const Tensor& codes,
                           const Tensor& boxes,
                           const std::array<double, 4>& weights,
                           double clip,
                           const Tensor& grad_codes) {
  engine::dispatch_float(codes.dtype(), "decode_boxes_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* cp = codes.data_ptr<T>();
    const T* gp = grad_out.data_ptr<T>();
    T* gc = grad_codes.data_ptr<T>();
    const T wx = static_cast<T>(weights[0]), wy = static_cast<T>(weights[1]);
    const T ww = static_cast<T>(weights[2]), wh = static_cast<T>(weights[3]),
            tclip = static_cast<T>(clip);
    for_each_code<T>(codes, boxes, [&](T w, T h, T, T, std::int64_t q) {
      const T* g = gp + q;
      const T dw = cp[q + 2] / ww, dh = cp[q + 3] / wh;
      gc[q] = (g[0] + g[2]) * w / wx;
      gc[q + 1] = (g[1] + g[3]) * h / wy;
      // x2 - x1 = exp(dw) w, so d/d(dw) of (x1, x2) = (-1/2, 1/2) exp(dw) w.
      gc[q + 2] = dw <= tclip ? (g[2] - g[0]) * T(0.5) * std::exp(dw) * w / ww : T(0);
      gc[q + 3] = dh <= tclip ? (g[3] - g[1]) * T(0.5) * std::exp(dh) * h / wh : T(0);
    });
  });
}

void fpn_levels(const Tensor& boxes, const LevelMapping& m, const Tensor& out) {
  engine::dispatch_float(boxes.dtype(), "fpn_levels", [&](auto tag) {
    using T = decltype(tag);
    const T* b = boxes.data_ptr<T>();
    std::int64_t* op = out.data_ptr<std::int64_t>();
    for (std::int64_t k = 0; k < boxes.size(0); ++k) {
      const T area = (b[k * 4 + 2] - b[k * 4]) * (b[k * 4 + 3] - b[k * 4 + 1]);
      if (!(area > T(0))) {  // empty, inverted or NaN box: the finest level
        op[k] = 0;
        continue;
      }
      const T s = std::sqrt(area);
      const T level =
          std::floor(static_cast<T>(m.canonical_level) +
                     std::log2(s / static_cast<T>(m.canonical_scale)) + static_cast<T>(m.eps));
      // Clamped before the cast, so huge (or infinite) boxes land on k_max.
      op[k] = static_cast<std::int64_t>(
                  std::clamp(level, static_cast<T>(m.k_min), static_cast<T>(m.k_max))) -
              m.k_min;
    }
  });
}

}  // namespace kernels::cpu
