// Reading back the "info" record a training checkpoint carries (options_to_json + the detector
// variant's fields, see detector_stage.h) to rebuild the same detector for `detect`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/evaluation.h"
#include "train/options.h"

namespace train {

struct CheckpointModel {
  Options options;  // preset, architecture and test transform of the checkpoint (rest: defaults)
  std::vector<std::string> classes;
  OodScoreSource score = OodScoreSource::head;  // what the detector's OOD score is
  nlohmann::json info;  // the record as read (evaluation adds "ood_threshold" to it)
};

// A missing or mistyped field is a std::runtime_error naming `path` and the field. Fields added
// later default as older runs had them ("norm": frozen; "detector_variant": torchvision;
// "ood_score": head iff ood_head).
CheckpointModel model_from_info(const nlohmann::json& info, const std::string& path);

}  // namespace train
