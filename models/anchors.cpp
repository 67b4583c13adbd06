// Anchor generation: base anchors per size/ratio (rounded like torchvision's, so that loaded
// torchvision weights see the same anchors), shifted over every feature-map location.
#include "models/anchors.h"

#include <array>
#include <cmath>

#include "engine/error.h"

namespace models {

std::vector<std::array<float, 4>> base_anchors(double size,
                                               const std::vector<double>& aspect_ratios) {
  std::vector<std::array<float, 4>> out;
  for (double ratio : aspect_ratios) {
    ENGINE_CHECK(ratio > 0 && size > 0, "anchors: sizes and aspect ratios must be positive");
    // torchvision computes in float32: h_ratio = sqrt(r), w_ratio = 1 / h_ratio.
    const float h_ratio = std::sqrt(static_cast<float>(ratio));
    const float w_ratio = 1.0f / h_ratio;
    const float ws = w_ratio * static_cast<float>(size), hs = h_ratio * static_cast<float>(size);
    out.push_back({std::nearbyint(-ws / 2), std::nearbyint(-hs / 2), std::nearbyint(ws / 2),
                   std::nearbyint(hs / 2)});
  }
  return out;
}

engine::Tensor make_anchors(const AnchorConfig& config,
                            const std::vector<std::array<std::int64_t, 2>>& feature_sizes,
                            std::array<std::int64_t, 2> image_size) {
  ENGINE_CHECK(feature_sizes.size() == config.sizes.size(), "anchors: ", feature_sizes.size(),
               " feature maps but ", config.sizes.size(), " anchor sizes");
  std::vector<float> boxes;
  for (std::size_t level = 0; level < feature_sizes.size(); ++level) {
    const auto [h, w] = feature_sizes[level];
    ENGINE_CHECK(h > 0 && w > 0, "anchors: empty feature map at level ", level);
    const std::int64_t stride_h = image_size[0] / h, stride_w = image_size[1] / w;
    const auto base = base_anchors(config.sizes[level], config.aspect_ratios);
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x) {
        const auto sx = static_cast<float>(x * stride_w), sy = static_cast<float>(y * stride_h);
        for (const auto& b : base)
          boxes.insert(boxes.end(), {b[0] + sx, b[1] + sy, b[2] + sx, b[3] + sy});
      }
  }
  return engine::from_vector(boxes, {static_cast<std::int64_t>(boxes.size() / 4), 4});
}

}  // namespace models
