// Running a trained detector over a data set: batches through the test transform, detections
// mapped back to original-image coordinates, each with its class score and OOD score.
#pragma once

#include <vector>

#include "data/detections.h"
#include "models/faster_rcnn.h"
#include "train/options.h"

namespace train {

// Detections for every image of `dataset` (labels are indices into the training categories).
std::vector<data::Detection> run_detector(models::FasterRcnn& model,
                                          const data::Dataset& dataset,
                                          const Options& options,
                                          const char* what);

}  // namespace train
