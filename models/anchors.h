// Anchor boxes for the RPN, as torchvision's AnchorGenerator: per FPN level one size and the
// aspect ratios h/w, base anchors rounded to integers, centred on (x * stride, y * stride).
#pragma once

#include <array>
#include <vector>

#include "engine/tensor.h"

namespace models {

struct AnchorConfig {
  std::vector<double> sizes{32, 64, 128, 256, 512};  // one per level (P2..P6)
  std::vector<double> aspect_ratios{0.5, 1.0, 2.0};  // h / w
  std::int64_t per_location() const { return static_cast<std::int64_t>(aspect_ratios.size()); }
};

// Anchors [sum_l H_l * W_l * A, 4] (x1, y1, x2, y2) for feature maps of the given sizes on a
// padded image of image_size (h, w); order: level, then row, column, then ratio (torchvision's).
// Strides are image_size / feature_size per level (integer division, as torchvision).
engine::Tensor make_anchors(const AnchorConfig& config,
                            const std::vector<std::array<std::int64_t, 2>>& feature_sizes,
                            std::array<std::int64_t, 2> image_size);

// The A base anchors of one size, centred at 0 and rounded ([A, 4]).
std::vector<std::array<float, 4>> base_anchors(double size,
                                               const std::vector<double>& aspect_ratios);

}  // namespace models
