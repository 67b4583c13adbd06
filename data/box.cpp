// Box helpers (see box.h for the coordinate convention).
// Clipping only moves coordinates; deciding whether to drop a box is the reader's job.
#include "data/box.h"

#include <algorithm>

namespace data {

bool clip_box(Box& box, double width, double height) {
  Box before = box;
  box.x1 = std::clamp(box.x1, 0.0, width);
  box.x2 = std::clamp(box.x2, 0.0, width);
  box.y1 = std::clamp(box.y1, 0.0, height);
  box.y2 = std::clamp(box.y2, 0.0, height);
  return !(box == before);
}

double iou(const Box& a, const Box& b) {
  const double w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const double h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  return w * h / (a.area() + b.area() - w * h);
}

}  // namespace data
