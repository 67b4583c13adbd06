// The annotated pictures of `train_dreambox detect`: in-distribution detections boxed and labelled
// "<class> <score>", detections over the OOD threshold in another colour labelled "unknown <ood>".
#pragma once

#include <string>
#include <vector>

#include "data/detections.h"
#include "data/draw.h"
#include "data/image.h"
#include "train/evaluation.h"

namespace train {

inline constexpr data::Color kKnownColor{40, 200, 60};     // green
inline constexpr data::Color kUnknownColor{230, 30, 200};  // magenta

// A detection is "unknown" when its OOD score (the head's ood_score or the free energy, as the
// detector was evaluated) is above the threshold.
struct UnknownRule {
  OodScoreSource source = OodScoreSource::head;
  double threshold = 0;
  bool operator()(const data::Detection& d) const { return ood_value(d, source) > threshold; }
};

// The label text: "circle 0.93" or "unknown 0.87" (the OOD score), two decimals.
std::string detection_label(const data::Detection& d,
                            const std::vector<std::string>& classes,
                            const UnknownRule& unknown);

// Draws `detections` (all of this image) on `image`, lowest score first so the most confident
// boxes end up on top; line width and text size grow with the image.
void draw_detections(data::Image& image,
                     std::vector<data::Detection> detections,
                     const std::vector<std::string>& classes,
                     const UnknownRule& unknown);

}  // namespace train
