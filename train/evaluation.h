// Turns detections of the test and OOD sets into the reported numbers: COCO-style AP and VOC07
// AP50 on the ID test set, and FPR95 / AUROC / AUPR-In of the OOD score per OOD set.
#pragma once

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/detections.h"

namespace train {

nlohmann::json detection_metrics(const data::Dataset& test,
                                 const std::vector<data::Detection>& detections);

// Does the detector name what it finds? Detections with class score > score_threshold that lie
// on a ground-truth object (IoU >= 0.5 with the best-overlapping box of their image): `right` of
// them name that object's class; `majority` is how many lie on objects of the most frequent class
// among them (what always answering that one class would get right).
struct ClassAccuracy {
  int right = 0, total = 0, majority = 0;
  double value() const { return total > 0 ? static_cast<double>(right) / total : 0.0; }
  double majority_share() const { return total > 0 ? static_cast<double>(majority) / total : 0.0; }
};
// The ground-truth object under `box` (IoU >= 0.5, the best-overlapping one), or null.
const data::Object* object_under(const data::ImageRecord& image, const data::Box& box);
ClassAccuracy class_accuracy(const data::Dataset& test,
                             const std::vector<data::Detection>& detections,
                             double score_threshold);
// summary.json's fields: class_accuracy, class_accuracy_detections, class_majority_share.
nlohmann::json class_accuracy_json(const ClassAccuracy& accuracy);
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
