// CPU RoIAlign forward and backward. Per box, a table of bilinear taps (4 positions, 4 weights
// per sample) is built once, following torchvision's arithmetic, and reused for every channel.
#include "kernels/cpu/roi_align.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// The four bilinear taps of one sample point; `valid` is false outside [-1, H] x [-1, W].
template <typename T>
struct Taps {
  std::int64_t pos[4];
  T w[4];
  bool valid;
};

// The sampling layout of one box: the taps of the samples that fall on the map, bin after bin
// (bin b owns taps[bin_end[b - 1] .. bin_end[b])), and the divisor of every bin.
template <typename T>
struct BoxTable {
  std::vector<Taps<T>> taps;
  std::vector<std::size_t> bin_end;
  std::int64_t batch = 0;
  T count = 1;  // max(grid_h * grid_w, 1), torchvision's divisor (dropped samples count)
};

// torchvision's bilinear_interpolate boundary rules: points beyond one pixel outside the map
// contribute nothing; points in [-1, 0] are clamped to 0; the last row/column is replicated.
template <typename T>
Taps<T> make_taps(T y, T x, std::int64_t height, std::int64_t width) {
  Taps<T> t{};
  if (y < T(-1.0) || y > static_cast<T>(height) || x < T(-1.0) || x > static_cast<T>(width)) {
    t.valid = false;
    return t;
  }
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  auto y_low = static_cast<std::int64_t>(y), x_low = static_cast<std::int64_t>(x);
  std::int64_t y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = static_cast<T>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = static_cast<T>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const T ly = y - static_cast<T>(y_low), lx = x - static_cast<T>(x_low);
  const T hy = T(1) - ly, hx = T(1) - lx;
  t.w[0] = hy * hx;
  t.w[1] = hy * lx;
  t.w[2] = ly * hx;
  t.w[3] = ly * lx;
  t.pos[0] = y_low * width + x_low;
  t.pos[1] = y_low * width + x_high;
  t.pos[2] = y_high * width + x_low;
  t.pos[3] = y_high * width + x_high;
  t.valid = true;
  return t;
}

template <typename T>
void build_table(const T* roi,
                 const RoiAlignParams& p,
                 std::int64_t height,
                 std::int64_t width,
                 BoxTable<T>& table) {
  const T scale = static_cast<T>(p.spatial_scale);
  const T offset = p.aligned ? T(0.5) : T(0);
  table.batch = static_cast<std::int64_t>(roi[0]);
  const T start_w = roi[1] * scale - offset, start_h = roi[2] * scale - offset;
  const T end_w = roi[3] * scale - offset, end_h = roi[4] * scale - offset;
  T roi_w = end_w - start_w, roi_h = end_h - start_h;
  if (!p.aligned) {  // legacy mode: force boxes to be at least one pixel
    roi_w = std::max(roi_w, T(1));
    roi_h = std::max(roi_h, T(1));
  }
  const T bin_h = roi_h / static_cast<T>(p.pooled_height),
          bin_w = roi_w / static_cast<T>(p.pooled_width);
  const auto grid_h =
      p.sampling_ratio > 0
          ? p.sampling_ratio
          : static_cast<std::int64_t>(std::ceil(roi_h / static_cast<T>(p.pooled_height)));
  const auto grid_w =
      p.sampling_ratio > 0
          ? p.sampling_ratio
          : static_cast<std::int64_t>(std::ceil(roi_w / static_cast<T>(p.pooled_width)));
  // An inverted aligned box gives a non-positive adaptive grid: no samples, output 0.
  table.count = static_cast<T>(std::max<std::int64_t>(grid_h * grid_w, 1));
  table.taps.clear();
  table.bin_end.clear();
  for (std::int64_t ph = 0; ph < p.pooled_height; ++ph)
    for (std::int64_t pw = 0; pw < p.pooled_width; ++pw) {
      for (std::int64_t iy = 0; iy < grid_h; ++iy) {
        const T y = start_h + static_cast<T>(ph) * bin_h +
                    static_cast<T>(static_cast<float>(iy) + .5f) * bin_h / static_cast<T>(grid_h);
        for (std::int64_t ix = 0; ix < grid_w; ++ix) {
          const T x = start_w + static_cast<T>(pw) * bin_w +
                      static_cast<T>(static_cast<float>(ix) + .5f) * bin_w / static_cast<T>(grid_w);
          const Taps<T> t = make_taps(y, x, height, width);
          if (t.valid) table.taps.push_back(t);
        }
      }
      table.bin_end.push_back(table.taps.size());
    }
}

}  // namespace

void roi_align(const Tensor& x, const Tensor& rois, const RoiAlignParams& p, const Tensor& out) {
  const std::int64_t channels = x.size(1), height = x.size(2), width = x.size(3);
  const std::int64_t boxes = rois.size(0), bins = p.pooled_height * p.pooled_width;
  engine::dispatch_float(x.dtype(), "roi_align", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    const T* rp = rois.data_ptr<T>();
    T* op = out.data_ptr<T>();
    const std::int64_t cost = channels * bins * 16;
    parallel_for(boxes, cost, [&](std::int64_t begin, std::int64_t end) {
      BoxTable<T> table;
      for (std::int64_t k = begin; k < end; ++k) {
        build_table(rp + k * 5, p, height, width, table);
        for (std::int64_t c = 0; c < channels; ++c) {
          const T* plane = xp + (table.batch * channels + c) * height * width;
          T* o = op + (k * channels + c) * bins;
          std::size_t s = 0;
          for (std::int64_t b = 0; b < bins; ++b) {
            T acc = 0;
            for (; s < table.bin_end[static_cast<std::size_t>(b)]; ++s) {
              const Taps<T>& t = table.taps[s];
              acc += t.w[0] * plane[t.pos[0]] + t.w[1] * plane[t.pos[1]] +
                     t.w[2] * plane[t.pos[2]] + t.w[3] * plane[t.pos[3]];
            }
            o[b] = acc / table.count;
          }
        }
      }
    });
  });
}

void roi_align_backward(const Tensor& grad_out,
                        const Tensor& rois,
                        const RoiAlignParams& p,
                        const Tensor& grad_x) {
  const std::int64_t channels = grad_x.size(1), height = grad_x.size(2), width = grad_x.size(3);
  const std::int64_t boxes = rois.size(0), bins = p.pooled_height * p.pooled_width;
  engine::dispatch_float(grad_x.dtype(), "roi_align_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* gp = grad_out.data_ptr<T>();
    const T* rp = rois.data_ptr<T>();
    T* gx = grad_x.data_ptr<T>();
    // Boxes of one image write the same planes, so threads split the channels instead.
    parallel_for(channels, boxes * bins * 16, [&](std::int64_t c_begin, std::int64_t c_end) {
      BoxTable<T> table;
      for (std::int64_t k = 0; k < boxes; ++k) {
        build_table(rp + k * 5, p, height, width, table);
        for (std::int64_t c = c_begin; c < c_end; ++c) {
          T* plane = gx + (table.batch * channels + c) * height * width;
          const T* g = gp + (k * channels + c) * bins;
          std::size_t s = 0;
          for (std::int64_t b = 0; b < bins; ++b) {
            const T gb = g[b];
            for (; s < table.bin_end[static_cast<std::size_t>(b)]; ++s) {
              const Taps<T>& t = table.taps[s];
              for (int i = 0; i < 4; ++i) plane[t.pos[i]] += gb * t.w[i] / table.count;
            }
          }
        }
      }
    });
  });
}

}  // namespace kernels::cpu
