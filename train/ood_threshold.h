// The default OOD threshold of `train_dreambox detect`: the OOD score (head or energy) that keeps
// 95% of the ID test detections in-distribution, measured at evaluation, stored with the
// checkpoint.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/detections.h"
#include "train/evaluation.h"

namespace train {

// The smallest OOD score t (ood_value with `source`) such that at least `id_recall` of the ID
// detections with score > score_threshold have an OOD score <= t (above t: "unknown").
// Throws std::runtime_error when no ID detection passes score_threshold.
double ood_threshold_at_id_recall(const std::vector<data::Detection>& id_detections,
                                  double score_threshold,
                                  OodScoreSource source = OodScoreSource::head,
                                  double id_recall = 0.95);

// Measures the threshold on the ID test detections and returns it as the "ood_threshold" record
// of summary.json ({value, ood_score, id_recall, score_threshold, id_detections}, or {error} if
// there is no ID detection). When `checkpoint` names an existing file, the record is merged into
// that checkpoint's info metadata (atomically rewritten), where `detect` finds it.
nlohmann::json record_ood_threshold(const std::vector<data::Detection>& id_detections,
                                    double score_threshold,
                                    OodScoreSource source,
                                    const std::string& checkpoint);

// Adds `fields` to the "info" metadata of a checkpoint written by RunDirectory::save_checkpoint;
// tensors and the other metadata are kept. The file is replaced atomically.
void merge_checkpoint_info(const std::string& checkpoint, const nlohmann::json& fields);

}  // namespace train
