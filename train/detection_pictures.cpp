// Box and label drawing for detect's pictures (see detection_pictures.h), on data/draw.h.
#include "train/detection_pictures.h"

#include <algorithm>
#include <cstdio>

namespace train {

std::string detection_label(const data::Detection& d,
                            const std::vector<std::string>& classes,
                            const UnknownRule& unknown) {
  char number[32];
  if (unknown(d)) {
    std::snprintf(number, sizeof(number), "%.2f", ood_value(d, unknown.source));
    return std::string("unknown ") + number;
  }
  std::snprintf(number, sizeof(number), "%.2f", d.score);
  const bool named = d.label >= 0 && d.label < static_cast<int>(classes.size());
  return (named ? classes[static_cast<std::size_t>(d.label)] : std::string("?")) + " " + number;
}

void draw_detections(data::Image& image,
                     std::vector<data::Detection> detections,
                     const std::vector<std::string>& classes,
                     const UnknownRule& unknown) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const auto& a, const auto& b) { return a.score < b.score; });
  const int longest = std::max(image.width, image.height);
  const int scale = longest >= 640 ? 2 : 1;
  const int thickness = longest >= 640 ? 3 : longest >= 200 ? 2 : 1;
  for (const auto& d : detections) {
    const data::Color color = unknown(d) ? kUnknownColor : kKnownColor;
    data::draw_box(image, d.box, color, thickness);
    data::draw_label(image, d.box, detection_label(d, classes, unknown), color,
                     data::Color{0, 0, 0}, scale);
  }
}

}  // namespace train
