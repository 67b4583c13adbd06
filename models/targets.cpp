// check_targets: shape, dtype and value checks of the detector's ground truth, with messages that
// name the image, the box and the rule broken.
#include "models/targets.h"

#include <cmath>

#include "engine/error.h"

namespace models {

namespace {

bool is_integer(engine::DType t) {
  return t == engine::DType::i64 || t == engine::DType::i32 || t == engine::DType::u8;
}

void check_image(const DetectionTargets& t,
                 std::size_t n,
                 std::array<std::int64_t, 2> size,
                 std::int64_t num_classes) {
  const std::int64_t count = t.boxes.defined() ? t.boxes.size(0) : 0;
  if (t.boxes.defined())
    ENGINE_CHECK(
        t.boxes.dim() == 2 && t.boxes.size(1) == 4 &&
            (t.boxes.dtype() == engine::DType::f32 || t.boxes.dtype() == engine::DType::f64),
        "targets of image ", n, ": boxes must be a float [G, 4] tensor, got ", t.boxes.str());
  if (count == 0 && !t.labels.defined()) return;
  ENGINE_CHECK(t.labels.defined() && t.labels.dim() == 1 && t.labels.size(0) == count &&
                   is_integer(t.labels.dtype()),
               "targets of image ", n, ": labels must be an integer [", count,
               "] tensor (one per box), got ", t.labels.defined() ? t.labels.str() : "none");
  ENGINE_CHECK(!t.ood.defined() || (t.ood.dim() == 1 && t.ood.size(0) == count),
               "targets of image ", n, ": ood flags must be [", count, "], got ", t.ood.str());
  const auto labels = t.labels.to(engine::DType::i64).to_vector<std::int64_t>();
  const auto boxes = t.boxes.to(engine::DType::f64).contiguous().to_vector<double>();
  const auto [height, width] = size;
  for (std::int64_t g = 0; g < count; ++g) {
    const auto i = static_cast<std::size_t>(g);
    ENGINE_CHECK(labels[i] >= 1 && labels[i] < num_classes, "targets of image ", n, ", box ", g,
                 ": class label ", labels[i], " outside 1..", num_classes - 1,
                 " (0 is the background; the model has ", num_classes, " classes with it)");
    const double x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2],
                 y2 = boxes[4 * i + 3];
    ENGINE_CHECK(std::isfinite(x1) && std::isfinite(y1) && std::isfinite(x2) && std::isfinite(y2),
                 "targets of image ", n, ", box ", g, ": coordinates are not finite");
    ENGINE_CHECK(x2 > x1 && y2 > y1, "targets of image ", n, ", box ", g, ": degenerate box [", x1,
                 ", ", y1, ", ", x2, ", ", y2,
                 "] (x2 > x1 and y2 > y1 are needed; drop such boxes when reading the data)");
    ENGINE_CHECK(
        x2 > 0 && y2 > 0 && x1 < static_cast<double>(width) && y1 < static_cast<double>(height),
        "targets of image ", n, ", box ", g, ": box [", x1, ", ", y1, ", ", x2, ", ", y2,
        "] lies outside the ", width, "x", height, " image");
  }
}

}  // namespace

void check_targets(const std::vector<DetectionTargets>& targets,
                   const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                   std::int64_t num_classes) {
  ENGINE_CHECK(targets.size() == image_sizes.size(), "targets: ", targets.size(),
               " target lists for ", image_sizes.size(), " images");
  for (std::size_t n = 0; n < targets.size(); ++n)
    check_image(targets[n], n, image_sizes[n], num_classes);
}

}  // namespace models
