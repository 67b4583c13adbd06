// Adapters from the data layer's datasets and detections to the metrics library's inputs,
// and the JSON layout of the metrics in summary.json.
#include "train/evaluation.h"

#include <algorithm>
#include <map>

#include "train/metrics/detection_ap.h"
#include "train/metrics/ood_metrics.h"

namespace train {

namespace {
Box to_box(const data::Box& b) {
  return {b.x1, b.y1, b.x2, b.y2};
}
}  // namespace

nlohmann::json detection_metrics(const data::Dataset& test,
                                 const std::vector<data::Detection>& detections) {
  std::vector<ImageEval> images(test.images.size());
  for (std::size_t i = 0; i < test.images.size(); ++i)
    for (const auto& o : test.images[i].objects)
      images[i].gts.push_back({to_box(o.box), o.label, o.difficult, o.iscrowd, o.area});
  for (const auto& d : detections)
    images.at(d.image).dets.push_back({to_box(d.box), d.score, d.label});
  const int classes = static_cast<int>(test.categories.size());
  const CocoApResult coco = coco_ap(images, classes);
  const Voc07ApResult voc = voc07_ap(images, classes);
  return {{"AP", coco.ap},
          {"AP50", coco.ap50},
          {"AP75", coco.ap75},
          {"AP_small", coco.ap_small},
          {"AP_medium", coco.ap_medium},
          {"AP_large", coco.ap_large},
          {"VOC07_AP50", voc.map},
          {"per_class_AP", coco.per_class_ap}};
}

const data::Object* object_under(const data::ImageRecord& image, const data::Box& box) {
  const data::Object* best = nullptr;
  double best_iou = 0.5;
  for (const auto& o : image.objects)
    if (const double v = data::iou(o.box, box); v >= best_iou) best = &o, best_iou = v;
  return best;
}

ClassAccuracy class_accuracy(const data::Dataset& test,
                             const std::vector<data::Detection>& detections,
                             double score_threshold) {
  ClassAccuracy a;
  std::map<int, int> per_class;  // object class -> detections on such objects
  for (const auto& d : detections)
    if (d.score > score_threshold)
      if (const data::Object* o = object_under(test.images.at(d.image), d.box)) {
        ++a.total;
        a.right += d.label == o->label ? 1 : 0;
        a.majority = std::max(a.majority, ++per_class[o->label]);
      }
  return a;
}

nlohmann::json class_accuracy_json(const ClassAccuracy& a) {
  return {{"class_accuracy", a.value()},
          {"class_accuracy_detections", a.total},
          {"class_majority_share", a.majority_share()}};
}

const char* to_string(OodScoreSource source) {
  return source == OodScoreSource::head ? "ood_score (Dream-Box head)" : "energy (-LSE)";
}

nlohmann::json ood_metrics(const std::vector<data::Detection>& id_detections,
                           const std::vector<data::Detection>& ood_detections,
                           double score_threshold,
                           OodScoreSource source) {
  auto candidates = [source](const std::vector<data::Detection>& dets) {
    std::vector<OodCandidate> out;
    for (const auto& d : dets) out.push_back({d.score, ood_value(d, source)});
    return out;
  };
  try {
    const OodMetrics m = evaluate_ood(candidates(id_detections), candidates(ood_detections),
                                      {.det_score_threshold = score_threshold});
    return {{"FPR95", m.fpr95},
            {"AUROC", m.auroc},
            {"AUPR_in", m.aupr_in},
            {"id_detections", m.num_id},
            {"ood_detections", m.num_ood}};
  } catch (const std::exception& e) {
    return {{"error", e.what()}};  // e.g. no detection above 0.5 on one side (an untrained model)
  }
}

}  // namespace train
