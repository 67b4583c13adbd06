// Running a trained detector over a data set: batches through the test transform, detections
// mapped back to original-image coordinates, each with its class score, OOD score and energy.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "data/detections.h"
#include "models/faster_rcnn.h"
#include "train/options.h"

namespace train {

// Told about an image that cannot be read or decoded (`problem` names the file).
using BadImageHandler = std::function<void(std::size_t image, const std::string& problem)>;

// Detections for every image of `dataset` (labels are indices into the training categories).
// The model must already be on options.device; batches are loaded on the host and copied there.
// A batch holding an unreadable image is an error, unless `on_bad_image` is given: then the
// batch's images are run one by one, and each bad one is reported there and skipped.
std::vector<data::Detection> run_detector(models::FasterRcnn& model,
                                          const data::Dataset& dataset,
                                          const Options& options,
                                          const char* what,
                                          const BadImageHandler& on_bad_image = {});

}  // namespace train
