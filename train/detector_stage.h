// The detectors that a run compares (vanilla energy baseline, Dream-Box head with outliers, VOS):
// how each one is trained, where it lives in the run folder, and its evaluation.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "train/data_sets.h"
#include "train/evaluation.h"
#include "train/options.h"

namespace train {

struct DetectorVariant {
  std::string name;            // stage name and subfolder of the run folder
  std::string what;            // one line for the results table
  bool ood_head = false;       // Dream-Box energy OOD head (trained with the outlier set)
  bool uses_outliers = false;  // training set = ID + the outlier data set
  bool vos = false;            // VOS virtual-outlier loss
  OodScoreSource score = OodScoreSource::energy;
};

const std::vector<DetectorVariant>& detector_variants();  // vanilla, dreambox, vos
const DetectorVariant* find_detector_variant(const std::string& name);

// The run options with the variant's switches set (ood_head, vos, ...).
Options variant_options(const Options& base, const DetectorVariant& variant);
std::string detector_folder(const std::string& run_root, const DetectorVariant& variant);

// The checkpoint info: effective settings, the variant and the class names.
nlohmann::json detector_info(const Options& options,
                             const DetectorVariant& variant,
                             const data::Dataset& train_set);

// Trains the variant in <run_root>/<name>/, resuming from its checkpoint there (a finished
// detector is left as it is). `train_set` already holds any outlier images.
void train_detector_variant(const Options& options,
                            const DetectorVariant& variant,
                            const data::Dataset& train_set,
                            const std::string& run_root);

// Runs the trained variant over the test and OOD sets, writes detections_*.json and summary.json
// in its folder and returns the summary ({"id": ..., "ood_<set>": ...}). A summary newer than
// the checkpoint is reused.
nlohmann::json evaluate_detector_variant(const Options& options,
                                         const DetectorVariant& variant,
                                         const DataSets& data_sets,
                                         const std::string& run_root);

}  // namespace train
