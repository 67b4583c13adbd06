// Detection accuracy metrics: COCO-style box AP (pycocotools COCOeval semantics) and the PASCAL
// VOC07 11-point AP50 (devkit voc_eval.py), on plain per-image structs of boxes and labels.
#pragma once

#include <span>
#include <vector>

namespace train {

// A box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right; x2 >= x1, y2 >= y1.
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

struct GroundTruth {
  Box box;
  int label = 0;           // class index in [0, num_classes)
  bool difficult = false;  // VOC "difficult": ignored by voc07_ap50, ordinary GT for coco_ap
  bool iscrowd = false;    // COCO crowd region: ignored by coco_ap (absorbs detections), GT for VOC
  double area = -1;        // COCO annotation "area" for the area ranges; < 0: box width * height
};

struct Detection {
  Box box;
  double score = 0;
  int label = 0;  // class index in [0, num_classes)
};

// Everything about one image. Images are identified by their position in the span: ties in
// score across images are broken by that order, as pycocotools does by sorted image id.
struct ImageEval {
  std::vector<GroundTruth> gts;
  std::vector<Detection> dets;
};

// COCOeval (bbox) with its default parameters: IoU thresholds .50:.05:.95, 101 recall points,
// area ranges all / small (< 32^2) / medium / large (> 96^2), inclusive bounds as pycocotools.
// Matching per image and class: detections by score (stable), top max_dets kept, each matched
// greedily to the unmatched GT of highest IoU >= threshold, non-ignored GT first; crowd GT may
// take any number of detections; detections matched to ignored GT, and unmatched detections
// outside the area range, count neither way. Precision is made monotone and read at the recall
// points (0 past the last recall). Differences from pycocotools, all on degenerate input:
//  - IoU is computed from x, y, w = x2 - x1, h = y2 - y1 exactly as maskApi's bbIou, area ranges
//    use GroundTruth::area when given, else w * h (COCO JSON converted from VOC has area = w * h).
//  - pycocotools treats a match with GT id 0 as unmatched (ids are 1-based there); here a match
//    is a match.
//  - Bad input (label out of range, NaN, inverted box) is an exception, not a silent result.
// A class without non-ignored GT in an area range is left out of the means (pycocotools' -1);
// a summary with no class to average is -1 as well.
struct CocoApOptions {
  int max_dets = 100;  // per image and class, as COCOeval's maxDets[-1]
};

struct CocoApResult {
  double ap = -1;                    // AP@[.50:.95], area all
  double ap50 = -1;                  // AP@.50
  double ap75 = -1;                  // AP@.75
  double ap_small = -1;              // AP@[.50:.95] on GT with area < 32^2
  double ap_medium = -1;             // 32^2 <= area <= 96^2
  double ap_large = -1;              // area > 96^2
  std::vector<double> per_class_ap;  // AP@[.50:.95] per class, area all; -1 without GT
};

CocoApResult coco_ap(std::span<const ImageEval> images,
                     int num_classes,
                     const CocoApOptions& options = {});

// PASCAL VOC devkit voc_eval.py with use_07_metric: per class, detections of all images sorted
// by score; each takes the GT of highest IoU (first on ties, matched or not); IoU > threshold and
// that GT not yet taken: TP; taken: FP; a difficult GT: neither; no overlap: FP. AP is the mean
// over recall 0, .1, ..., 1 of the best precision at recall >= r. Differences from the devkit:
//  - ties in score keep image order, then input order (the devkit's argsort is not stable);
//  - the mean is over classes with at least one non-difficult GT (as MMDetection's eval_map); the
//    devkit divides by zero there. per_class_ap is -1 for such a class, map -1 if there is none.
// iscrowd is not looked at. legacy_plus_one: widths are x2 - x1 + 1 (VOC's inclusive pixels).
struct Voc07Options {
  double iou_threshold = 0.5;
  bool legacy_plus_one = true;
};

struct Voc07ApResult {
  double map = -1;
  std::vector<double> per_class_ap;
};

Voc07ApResult voc07_ap(std::span<const ImageEval> images,
                       int num_classes,
                       const Voc07Options& options = {});

}  // namespace train
