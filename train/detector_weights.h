// Loading the detector `detect` runs: a train_dreambox checkpoint (its info record gives the
// architecture, classes and thresholds) or a torchvision-named safetensors file (flags give them).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/faster_rcnn.h"
#include "train/detect_options.h"
#include "train/evaluation.h"
#include "train/options.h"

namespace train {

struct LoadedDetector {
  std::unique_ptr<models::FasterRcnn> model;
  Options options;  // architecture and test transform, as run_detector takes them
  std::vector<std::string> classes;
  bool has_ood_head = false;
  OodScoreSource score = OodScoreSource::energy;  // the OOD score of this detector
  std::string kind;                     // "train_dreambox checkpoint" / "torchvision-named weights"
  std::optional<double> ood_threshold;  // stored by the evaluation stage (95% ID recall)
                                        // on `score` (ignored when it was measured on another)
  std::optional<double> score_threshold;  // the evaluation's detection-score threshold
};

// Reads options.weights. A missing file, a file that is neither kind, classes that do not match
// the weights, or an architecture that does not fit them is a std::runtime_error saying which.
LoadedDetector load_detector(const DetectOptions& options);

// torchvision's 91 COCO category names (index 0 is the background), for its detection weights.
const std::vector<std::string>& torchvision_coco_names();

}  // namespace train
