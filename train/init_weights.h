// --init-weights: starting a detector training from torchvision-named safetensors (an ImageNet
// ResNet body or a whole Faster R-CNN, as scripts/convert_torchvision.py writes them).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "models/faster_rcnn.h"

namespace train {

struct InitWeightsReport {
  std::string kind;        // "ResNet backbone" or "Faster R-CNN"
  std::size_t loaded = 0;  // tensors copied into the detector
  std::string predictor;   // why the box predictor was reinitialised ("" when it was loaded)
  std::vector<std::string> kept_initial;  // detector tensors the file lacks (left as initialised)
  // One paragraph: what was loaded and, grouped by module, what keeps its initial values.
  std::string summary() const;
};

// Loads `path` into `model` by name. A ResNet classifier body (conv1.*, layer1.* ...) goes to
// backbone.body.*; a whole detector's box predictor made for another number of classes is left
// as initialised (the fine-tuning recipe). Tensors the file lacks keep their initial values and
// are listed in the report (torchvision has no OOD head; a backbone file has no FPN or heads).
// A missing or unreadable file, a train_dreambox checkpoint, tensors the detector does not have,
// shapes that differ (another depth or width), a file lacking part of what it should give (the
// whole ResNet body; for a detector also FPN, RPN and box head), a predictor in the other class
// layout (torchvision vs background last) is a std::runtime_error naming the file and tensors.
InitWeightsReport load_init_weights(const std::string& path, models::FasterRcnn& model);

}  // namespace train
