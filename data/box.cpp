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

}  // namespace data
