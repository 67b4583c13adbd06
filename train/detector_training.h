// The detector training stage: loader -> Faster R-CNN losses -> SGD with warmup and multistep
// decay, progress line, JSONL log, periodic atomic checkpoints and exact resume.
#pragma once

#include "data/batch.h"
#include "data/dataset.h"
#include "models/faster_rcnn.h"
#include "train/options.h"
#include "train/run_dir.h"

namespace train {

models::FasterRcnnConfig detector_config(const Options& options, std::int64_t num_classes);

// A batch's targets for the detector (class index + 1: background is 0), copied to `device`.
std::vector<models::DetectionTargets> detector_targets(const data::Batch& batch,
                                                       engine::Device device);

// Trains `model` (already on options.device; batches are copied there) on `dataset`; resumes from
// the run's checkpoint when options.resume. Returns the number of optimizer steps done. A
// non-finite loss stops the run with an error that names the step, the loss terms and the last good
// checkpoint.
std::int64_t train_detector(const Options& options,
                            RunDirectory& run,
                            models::FasterRcnn& model,
                            const data::Dataset& dataset,
                            const nlohmann::json& info);

}  // namespace train
