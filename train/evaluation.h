// Turns detections of the test and OOD sets into the reported numbers: COCO-style AP and VOC07
// AP50 on the ID test set, and FPR95 / AUROC / AUPR-In of the OOD score per OOD set.
#pragma once

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/detections.h"

namespace train {

nlohmann::json detection_metrics(const data::Dataset& test,
                                 const std::vector<data::Detection>& detections);
// Which per-detection value is the OOD score: the Dream-Box head's sigmoid (ood_score) or the
// free energy -LSE(foreground logits) of the energy baselines (vanilla, VOS). Both: higher = OOD.
enum class OodScoreSource { head, energy };
const char* to_string(OodScoreSource source);
inline double ood_value(const data::Detection& d, OodScoreSource source) {
  return source == OodScoreSource::head ? d.ood_score : d.energy;
}

// ID detections are positives and OOD-set detections negatives (score > 0.5 only), as the paper.
nlohmann::json ood_metrics(const std::vector<data::Detection>& id_detections,
                           const std::vector<data::Detection>& ood_detections,
                           double score_threshold = 0.5,
                           OodScoreSource source = OodScoreSource::head);

}  // namespace train
