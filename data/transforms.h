// Detection transforms: keep-ratio resize (multi-scale choice), horizontal flip, ImageNet
// normalization, zero padding to a multiple of 32, and mapping predictions back to the original.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "data/box.h"
#include "data/image.h"

namespace data {

// Resize rule of MMDetection's Resize(keep_ratio=True) (Dream-Box, VOS and torchvision agree):
// scale = min(short_side / min(w, h), max_size / max(w, h)); new side = int(side * scale + 0.5).
struct ResizedSize {
  int width = 0;
  int height = 0;
};
ResizedSize keep_ratio_size(int width, int height, int short_side, int max_size);

// Per-channel (x - mean) / std on 0..255 RGB: ImageNet statistics by default, identical to
// torchvision's (x / 255 - 0.485) / 0.229 ... and MMDetection's mean 123.675, std 58.395 ...
struct Normalization {
  std::array<float, 3> mean = {123.675f, 116.28f, 103.53f};
  std::array<float, 3> std = {58.395f, 57.12f, 57.375f};
};

struct TransformConfig {
  std::vector<int> short_sides = {800};  // one is drawn per image (multi-scale training)
  int max_size = 1333;                   // longer side limit
  double flip_probability = 0.0;         // horizontal flip
  int size_divisor = 32;                 // batch H and W are rounded up to a multiple of this
  Normalization normalization;

  static TransformConfig test(int short_side = 800, int max_size = 1333);
  // Dream-Box/VOS training: short side in {480, 512, ..., 800}, long side <= 1333, flip 0.5.
  static TransformConfig train_multiscale(int min_short = 480,
                                          int max_short = 800,
                                          int step = 32,
                                          int max_size = 1333);
};

// Where a sample came from and what was done to it; enough to map boxes either way.
struct ImageMeta {
  std::size_t index = 0;  // index into the Dataset
  int original_width = 0;
  int original_height = 0;
  int width = 0;  // after resize (before padding)
  int height = 0;
  double scale_x = 1;  // width / original_width
  double scale_y = 1;
  bool flipped = false;
};

// Original-image box -> network-input box (scale, then flip) and back (unflip, unscale, clip).
Box forward_box(const Box& box, const ImageMeta& meta);
Box backward_box(const Box& box, const ImageMeta& meta);

// Fused bilinear resize (half-pixel centres, as cv2 INTER_LINEAR and torch align_corners=False,
// no antialiasing) + optional horizontal flip + normalization, written as planar float into
// `dst` [3, dst_height, dst_width] with the area outside the resized image set to 0 (padding).
void resize_flip_normalize(const Image& src,
                           int out_width,
                           int out_height,
                           bool flip,
                           const Normalization& norm,
                           float* dst,
                           int dst_width,
                           int dst_height);

// Plain helpers on uint8 images (tests, visualisation, the shapes generator).
Image hflip(const Image& image);
Image resize_bilinear(const Image& image, int out_width, int out_height);  // rounds to uint8

inline int round_up(int value, int divisor) {
  return (value + divisor - 1) / divisor * divisor;
}

}  // namespace data
