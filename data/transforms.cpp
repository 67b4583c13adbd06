// Detection transforms (see transforms.h). The fused resize works row by row: each source row
// needed is resized horizontally once (cached, two at a time), then rows are blended vertically.
#include "data/transforms.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace data {

namespace {

// Source sample positions for bilinear resize with half-pixel centres (align_corners=False):
// src = (dst + 0.5) * in / out - 0.5, clamped at 0; index i0 and i0+1 (clamped), weight of i0+1.
struct Taps {
  std::vector<int> i0, i1;
  std::vector<float> w;
};

Taps make_taps(int in, int out) {
  Taps t;
  t.i0.resize(out);
  t.i1.resize(out);
  t.w.resize(out);
  double scale = static_cast<double>(in) / out;
  for (int d = 0; d < out; ++d) {
    double s = std::max((d + 0.5) * scale - 0.5, 0.0);
    int i = std::min(static_cast<int>(s), in - 1);
    t.i0[d] = i;
    t.i1[d] = std::min(i + 1, in - 1);
    t.w[d] = static_cast<float>(s - i);
  }
  return t;
}

// Horizontal pass of one source row into interleaved floats [out_w, 3], already flipped.
void resize_row(const std::uint8_t* row, const Taps& tx, bool flip, float* out) {
  int out_w = static_cast<int>(tx.w.size());
  for (int x = 0; x < out_w; ++x) {
    int sx = flip ? out_w - 1 - x : x;
    const std::uint8_t* a = row + 3 * tx.i0[sx];
    const std::uint8_t* b = row + 3 * tx.i1[sx];
    float w = tx.w[sx];
    for (int c = 0; c < 3; ++c) out[3 * x + c] = a[c] + (static_cast<float>(b[c]) - a[c]) * w;
  }
}

void check_sizes(const Image& src, int out_w, int out_h) {
  if (src.width <= 0 || src.height <= 0 ||
      src.pixels.size() != static_cast<std::size_t>(src.width) * src.height * 3)
    throw std::invalid_argument("resize: source image is empty or inconsistent");
  if (out_w <= 0 || out_h <= 0)
    throw std::invalid_argument("resize: output size must be positive, got " +
                                std::to_string(out_w) + "x" + std::to_string(out_h));
}

}  // namespace

ResizedSize keep_ratio_size(int width, int height, int short_side, int max_size) {
  if (width <= 0 || height <= 0 || short_side <= 0 || max_size <= 0)
    throw std::invalid_argument("keep_ratio_size: sizes must be positive");
  double scale = std::min(static_cast<double>(short_side) / std::min(width, height),
                          static_cast<double>(max_size) / std::max(width, height));
  return {std::max(1, static_cast<int>(width * scale + 0.5)),
          std::max(1, static_cast<int>(height * scale + 0.5))};
}

TransformConfig TransformConfig::test(int short_side, int max_size) {
  TransformConfig c;
  c.short_sides = {short_side};
  c.max_size = max_size;
  return c;
}

TransformConfig TransformConfig::train_multiscale(int min_short,
                                                  int max_short,
                                                  int step,
                                                  int max_size) {
  if (step <= 0 || min_short <= 0 || max_short < min_short)
    throw std::invalid_argument("train_multiscale: need 0 < min_short <= max_short and step > 0");
  TransformConfig c;
  c.short_sides.clear();
  for (int s = min_short; s <= max_short; s += step) c.short_sides.push_back(s);
  c.max_size = max_size;
  c.flip_probability = 0.5;
  return c;
}

Box forward_box(const Box& box, const ImageMeta& m) {
  Box b{box.x1 * m.scale_x, box.y1 * m.scale_y, box.x2 * m.scale_x, box.y2 * m.scale_y};
  if (m.flipped) b = {m.width - b.x2, b.y1, m.width - b.x1, b.y2};
  return b;
}

Box backward_box(const Box& box, const ImageMeta& m) {
  Box b = box;
  if (m.flipped) b = {m.width - box.x2, box.y1, m.width - box.x1, box.y2};
  b = {b.x1 / m.scale_x, b.y1 / m.scale_y, b.x2 / m.scale_x, b.y2 / m.scale_y};
  clip_box(b, m.original_width, m.original_height);
  return b;
}

void resize_flip_normalize(const Image& src,
                           int out_w,
                           int out_h,
                           bool flip,
                           const Normalization& norm,
                           float* dst,
                           int dst_w,
                           int dst_h) {
  check_sizes(src, out_w, out_h);
  if (dst_w < out_w || dst_h < out_h)
    throw std::invalid_argument("resize_flip_normalize: destination " + std::to_string(dst_w) +
                                "x" + std::to_string(dst_h) + " smaller than the resized image");
  Taps tx = make_taps(src.width, out_w), ty = make_taps(src.height, out_h);
  std::array<float, 3> scale, shift;  // v * scale + shift == (v - mean) / std
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / norm.std[c];
    shift[c] = -norm.mean[c] / norm.std[c];
  }
  // Two cached horizontally-resized rows: source rows cached_y[0], cached_y[1].
  std::vector<float> rows[2] = {std::vector<float>(3 * out_w), std::vector<float>(3 * out_w)};
  int cached_y[2] = {-1, -1};
  auto get_row = [&](int sy) -> const float* {
    for (int k = 0; k < 2; ++k)
      if (cached_y[k] == sy) return rows[k].data();
    // Evict the row that is not the other tap of the current output row (lower index first).
    int k = cached_y[0] <= cached_y[1] ? 0 : 1;
    resize_row(src.row(sy), tx, flip, rows[k].data());
    cached_y[k] = sy;
    return rows[k].data();
  };
  const std::size_t plane = static_cast<std::size_t>(dst_w) * dst_h;
  for (int y = 0; y < out_h; ++y) {
    // Taps are non-decreasing in y, so fetching i1 never evicts i0 (the evicted row is older).
    const float* a = get_row(ty.i0[y]);
    const float* b = get_row(ty.i1[y]);
    float w = ty.w[y];
    float* out[3] = {dst + static_cast<std::size_t>(y) * dst_w,
                     dst + plane + static_cast<std::size_t>(y) * dst_w,
                     dst + 2 * plane + static_cast<std::size_t>(y) * dst_w};
    for (int x = 0; x < out_w; ++x)
      for (int c = 0; c < 3; ++c) {
        float v = a[3 * x + c] + (b[3 * x + c] - a[3 * x + c]) * w;
        out[c][x] = v * scale[c] + shift[c];
      }
    for (int c = 0; c < 3; ++c) std::fill(out[c] + out_w, out[c] + dst_w, 0.0f);
  }
  for (int c = 0; c < 3; ++c)
    std::fill(dst + c * plane + static_cast<std::size_t>(out_h) * dst_w, dst + (c + 1) * plane,
              0.0f);
}

Image hflip(const Image& image) {
  Image out = image;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      std::copy_n(image.at(image.width - 1 - x, y), 3, out.at(x, y));
  return out;
}

Image resize_bilinear(const Image& image, int out_w, int out_h) {
  check_sizes(image, out_w, out_h);
  Taps tx = make_taps(image.width, out_w), ty = make_taps(image.height, out_h);
  Image out(out_w, out_h);
  for (int y = 0; y < out_h; ++y) {
    const std::uint8_t* r0 = image.row(ty.i0[y]);
    const std::uint8_t* r1 = image.row(ty.i1[y]);
    for (int x = 0; x < out_w; ++x)
      for (int c = 0; c < 3; ++c) {
        float top = r0[3 * tx.i0[x] + c] +
                    (static_cast<float>(r0[3 * tx.i1[x] + c]) - r0[3 * tx.i0[x] + c]) * tx.w[x];
        float bot = r1[3 * tx.i0[x] + c] +
                    (static_cast<float>(r1[3 * tx.i1[x] + c]) - r1[3 * tx.i0[x] + c]) * tx.w[x];
        out.at(x, y)[c] = static_cast<std::uint8_t>(
            std::clamp(std::lround(top + (bot - top) * ty.w[y]), 0L, 255L));
      }
  }
  return out;
}

}  // namespace data
