// Draws one synthetic `shapes` image: a textured, noisy background and several shapes of one
// family with varied colour, size, rotation, aspect and partial occlusion, plus their boxes.
#pragma once

#include <cstdint>
#include <vector>

#include "data/box.h"
#include "data/image.h"
#include "data/shapes/shape_kinds.h"

namespace data::shapes {

struct RenderOptions {
  int min_side = 160;  // image width and height are drawn from [min_side, max_side]
  int max_side = 256;
  int width = 0, height = 0;  // when both > 0: this size instead of drawing one
  int min_objects = 1;
  int max_objects = 4;
  double min_radius = 0.08, max_radius = 0.28;  // shape radius as a share of the shorter side
  double margin = 0.12;           // centres lie in [margin, 1 - margin] of the width/height,
  double truncated_share = 0.25;  // or, for this share of objects, in [-0.05, 1.05]
};

struct RenderedObject {
  int label = 0;  // index into kinds_of(family)
  Box box;        // VOC numbers (1-based inclusive): xmin = first column + 1, xmax = last + 1
  int visible_pixels = 0;
  bool truncated = false;  // cut by the image border
  bool difficult = false;  // fewer than 150 visible pixels
};

struct RenderedImage {
  Image image;
  std::vector<RenderedObject> objects;
  std::vector<int> owner;  // [H, W]: index of the object that owns each pixel, -1 = background
};

// Deterministic for (family, seed, options). Objects are placed so that none hides more than
// 40% of an earlier one and each keeps at least 60 visible pixels; boxes bound visible pixels.
RenderedImage render_image(Family family, std::uint64_t seed, const RenderOptions& options);

}  // namespace data::shapes
