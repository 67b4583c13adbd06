// Validation of the ground truth given to FasterRcnn::losses, so that bad boxes or labels give a
// clear error naming the image and box instead of a crash or a silently wrong loss.
#pragma once

#include <array>
#include <vector>

#include "models/roi_heads.h"

namespace models {

// Checks, per image n: boxes [G, 4] f32/f64 (or undefined when G = 0), labels [G] integers in
// 1..num_classes-1 (0 is background), ood undefined or [G]; every box finite with x2 > x1 and
// y2 > y1 (degenerate boxes are errors, as in torchvision) and overlapping its image
// (image_sizes[n] = {height, width}). Boxes partly outside the image are accepted and used as
// given (torchvision and MMDetection do not clip either; the data layer clips when it reads).
// An image without boxes is valid: all its samples are background.
void check_targets(const std::vector<DetectionTargets>& targets,
                   const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                   std::int64_t num_classes);

}  // namespace models
