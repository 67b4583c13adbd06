// COCO-style box AP and VOC07 11-point AP50: per-class matching of detections to ground truth,
// then precision/recall curves, following pycocotools' COCOeval and the VOC devkit (see header).
#include "train/metrics/detection_ap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

namespace train {
namespace {

constexpr int kNumIou = 10;                     // .50:.05:.95
constexpr int kNumRecall = 101;                 // 0:.01:1
constexpr int kNumAreas = 4;                    // all, small, medium, large
constexpr double kEps = 2.220446049250313e-16;  // np.spacing(1) == np.finfo(float64).eps

// The thresholds exactly as np.linspace computes them (i * step + start, the last one = stop).
double iou_threshold(int t) {
  return t == kNumIou - 1 ? 0.95 : t * ((0.95 - 0.5) / 9) + 0.5;
}
double recall_threshold(int r) {
  return r == kNumRecall - 1 ? 1.0 : r * 0.01;
}

struct AreaRange {
  double lo, hi;
};
constexpr std::array<AreaRange, kNumAreas> kAreas = {
    {{0, 1e10}, {0, 32.0 * 32}, {32.0 * 32, 96.0 * 96}, {96.0 * 96, 1e10}}};

[[noreturn]] void fail(
    const char* metric, const char* what, size_t image, size_t index, const std::string& problem) {
  throw std::invalid_argument(std::string(metric) + ": " + what + " " + std::to_string(index) +
                              " of image " + std::to_string(image) + ": " + problem);
}

// Empty string when the box, score and label are usable, else what is wrong with them.
std::string box_problem(const Box& b, double score, int label, int num_classes) {
  if (label < 0 || label >= num_classes)
    return "label " + std::to_string(label) + " is outside [0, " + std::to_string(num_classes) +
           "); labels are 0-based class indices";
  if (!std::isfinite(b.x1) || !std::isfinite(b.y1) || !std::isfinite(b.x2) ||
      !std::isfinite(b.y2) || !std::isfinite(score))
    return "box or score is not finite";
  if (b.x2 < b.x1 || b.y2 < b.y1) return "box corners are inverted (need x2 >= x1, y2 >= y1)";
  return {};
}

void check_input(std::span<const ImageEval> images, int num_classes, const char* metric) {
  if (num_classes <= 0)
    throw std::invalid_argument(std::string(metric) + ": num_classes must be positive, got " +
                                std::to_string(num_classes));
  for (size_t i = 0; i < images.size(); ++i) {
    for (size_t g = 0; g < images[i].gts.size(); ++g) {
      const GroundTruth& gt = images[i].gts[g];
      std::string problem = box_problem(gt.box, 0.0, gt.label, num_classes);
      if (problem.empty() && std::isnan(gt.area)) problem = "area is NaN";
      if (!problem.empty()) fail(metric, "ground truth", i, g, problem);
    }
    for (size_t d = 0; d < images[i].dets.size(); ++d) {
      const Detection& det = images[i].dets[d];
      const std::string problem = box_problem(det.box, det.score, det.label, num_classes);
      if (!problem.empty()) fail(metric, "detection", i, d, problem);
    }
  }
}

// Indices of the detections of one class in one image, by score descending (stable), at most
// `limit` of them.
std::vector<size_t> sorted_dets_of_class(const ImageEval& image, int label, size_t limit) {
  std::vector<size_t> idx;
  for (size_t d = 0; d < image.dets.size(); ++d)
    if (image.dets[d].label == label) idx.push_back(d);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return image.dets[a].score > image.dets[b].score; });
  if (idx.size() > limit) idx.resize(limit);
  return idx;
}

std::vector<size_t> gts_of_class(const ImageEval& image, int label) {
  std::vector<size_t> idx;
  for (size_t g = 0; g < image.gts.size(); ++g)
    if (image.gts[g].label == label) idx.push_back(g);
  return idx;
}

// ---- COCO ------------------------------------------------------------------------------------

// maskApi.c bbIou on (x, y, w, h): a crowd GT divides by the detection's area only.
double coco_iou(const Box& d, const Box& g, bool crowd) {
  const double dx = d.x1, dy = d.y1, dw = d.x2 - d.x1, dh = d.y2 - d.y1;
  const double gx = g.x1, gy = g.y1, gw = g.x2 - g.x1, gh = g.y2 - g.y1;
  const double w = std::fmin(dw + dx, gw + gx) - std::fmax(dx, gx);
  if (w <= 0) return 0;
  const double h = std::fmin(dh + dy, gh + gy) - std::fmax(dy, gy);
  if (h <= 0) return 0;
  const double inter = w * h, da = dw * dh, ga = gw * gh;
  return inter / (crowd ? da : da + ga - inter);
}

double box_area(const Box& b) {
  return (b.x2 - b.x1) * (b.y2 - b.y1);
}

// Outcome of one kept detection at each IoU threshold.
enum : int8_t { kIgnored = 0, kTruePositive = 1, kFalsePositive = 2 };
struct DetOutcome {
  double score;
  std::array<int8_t, kNumIou> at;
};

// All detections of one class in one area range over all images, and the non-ignored GT count.
struct ClassAreaEval {
  std::vector<DetOutcome> dets;
  size_t num_gt = 0;
};

// COCOeval.evaluateImg for one image, class and area range; appends to `out`.
void evaluate_image(const ImageEval& image,
                    const std::vector<size_t>& gt_idx,
                    const std::vector<size_t>& det_idx,
                    const std::vector<std::vector<double>>& ious,  // [det][gt in gt_idx order]
                    const AreaRange& range,
                    ClassAreaEval& out) {
  const size_t G = gt_idx.size(), D = det_idx.size();
  std::vector<bool> gt_ignore(G);
  for (size_t g = 0; g < G; ++g) {
    const GroundTruth& gt = image.gts[gt_idx[g]];
    const double area = gt.area >= 0 ? gt.area : box_area(gt.box);
    gt_ignore[g] = gt.iscrowd || area < range.lo || area > range.hi;
  }
  std::vector<size_t> order(G);  // non-ignored GT first, stable
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return !gt_ignore[a] && gt_ignore[b]; });
  out.num_gt += static_cast<size_t>(std::count(gt_ignore.begin(), gt_ignore.end(), false));

  const size_t first = out.dets.size();
  for (size_t d = 0; d < D; ++d) out.dets.push_back({image.dets[det_idx[d]].score, {}});
  for (int t = 0; t < kNumIou; ++t) {
    std::vector<bool> gt_taken(G, false);
    for (size_t d = 0; d < D; ++d) {
      double best = std::min(iou_threshold(t), 1 - 1e-10);
      long m = -1;  // position in `order` of the best match so far
      for (size_t j = 0; j < G; ++j) {
        const size_t g = order[j];
        if (gt_taken[g] && !image.gts[gt_idx[g]].iscrowd) continue;
        if (m >= 0 && !gt_ignore[order[m]] && gt_ignore[g]) break;
        if (ious[d][g] < best) continue;
        best = ious[d][g];
        m = static_cast<long>(j);
      }
      int8_t outcome;
      if (m >= 0) {
        const size_t g = order[m];
        gt_taken[g] = true;
        outcome = gt_ignore[g] ? kIgnored : kTruePositive;
      } else {
        const double area = box_area(image.dets[det_idx[d]].box);
        outcome = (area < range.lo || area > range.hi) ? kIgnored : kFalsePositive;
      }
      out.dets[first + d].at[t] = outcome;
    }
  }
}

// COCOeval.accumulate for one class and area: the 101-point interpolated precision per IoU
// threshold, appended to `precision` ([kNumIou][kNumRecall]); nothing when there is no GT.
bool accumulate(ClassAreaEval& e, std::vector<double>& precision) {
  if (e.num_gt == 0) return false;
  std::stable_sort(e.dets.begin(), e.dets.end(),
                   [](const DetOutcome& a, const DetOutcome& b) { return a.score > b.score; });
  const size_t n = e.dets.size();
  std::vector<double> rc(n), pr(n);
  for (int t = 0; t < kNumIou; ++t) {
    double tp = 0, fp = 0;
    for (size_t i = 0; i < n; ++i) {
      tp += e.dets[i].at[t] == kTruePositive;
      fp += e.dets[i].at[t] == kFalsePositive;
      rc[i] = tp / static_cast<double>(e.num_gt);
      pr[i] = tp / (fp + tp + kEps);
    }
    for (size_t i = n; i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    for (int r = 0; r < kNumRecall; ++r) {
      const size_t at = static_cast<size_t>(
          std::lower_bound(rc.begin(), rc.end(), recall_threshold(r)) - rc.begin());
      precision.push_back(at < n ? pr[at] : 0.0);
    }
  }
  return true;
}

double mean_or_minus_one(double sum, size_t count) {
  return count ? sum / static_cast<double>(count) : -1.0;
}

}  // namespace

CocoApResult coco_ap(std::span<const ImageEval> images,
                     int num_classes,
                     const CocoApOptions& options) {
  check_input(images, num_classes, "coco_ap");
  if (options.max_dets <= 0)
    throw std::invalid_argument("coco_ap: max_dets must be positive, got " +
                                std::to_string(options.max_dets));
  // Sums of precision entries and their counts per area range, for AP, AP50 and AP75.
  std::array<double, kNumAreas> sum{}, sum50{}, sum75{};
  std::array<size_t, kNumAreas> count{};
  CocoApResult result;
  result.per_class_ap.assign(static_cast<size_t>(num_classes), -1.0);

  for (int k = 0; k < num_classes; ++k) {
    std::array<ClassAreaEval, kNumAreas> evals;
    for (const ImageEval& image : images) {
      const std::vector<size_t> gt_idx = gts_of_class(image, k);
      const std::vector<size_t> det_idx =
          sorted_dets_of_class(image, k, static_cast<size_t>(options.max_dets));
      if (gt_idx.empty() && det_idx.empty()) continue;
      std::vector<std::vector<double>> ious(det_idx.size(), std::vector<double>(gt_idx.size()));
      for (size_t d = 0; d < det_idx.size(); ++d)
        for (size_t g = 0; g < gt_idx.size(); ++g) {
          const GroundTruth& gt = image.gts[gt_idx[g]];
          ious[d][g] = coco_iou(image.dets[det_idx[d]].box, gt.box, gt.iscrowd);
        }
      for (int a = 0; a < kNumAreas; ++a)
        evaluate_image(image, gt_idx, det_idx, ious, kAreas[a], evals[a]);
    }
    for (int a = 0; a < kNumAreas; ++a) {
      std::vector<double> precision;  // [kNumIou][kNumRecall]
      if (!accumulate(evals[a], precision)) continue;
      const double total = std::accumulate(precision.begin(), precision.end(), 0.0);
      sum[a] += total;
      count[a] += precision.size();
      sum50[a] += std::accumulate(precision.begin(), precision.begin() + kNumRecall, 0.0);
      sum75[a] += std::accumulate(precision.begin() + 5 * kNumRecall,
                                  precision.begin() + 6 * kNumRecall, 0.0);
      if (a == 0) result.per_class_ap[k] = total / static_cast<double>(precision.size());
    }
  }
  result.ap = mean_or_minus_one(sum[0], count[0]);
  result.ap50 = mean_or_minus_one(sum50[0], count[0] / kNumIou);
  result.ap75 = mean_or_minus_one(sum75[0], count[0] / kNumIou);
  result.ap_small = mean_or_minus_one(sum[1], count[1]);
  result.ap_medium = mean_or_minus_one(sum[2], count[2]);
  result.ap_large = mean_or_minus_one(sum[3], count[3]);
  return result;
}

// ---- VOC07 -----------------------------------------------------------------------------------

namespace {

double voc_iou(const Box& a, const Box& b, double one) {
  const double iw = std::max(std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + one, 0.0);
  const double ih = std::max(std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + one, 0.0);
  const double inter = iw * ih;
  const double uni =
      (a.x2 - a.x1 + one) * (a.y2 - a.y1 + one) + (b.x2 - b.x1 + one) * (b.y2 - b.y1 + one) - inter;
  return inter / uni;
}

// voc_eval.py for one class; -1 when the class has no non-difficult GT.
double voc07_class_ap(std::span<const ImageEval> images, int label, const Voc07Options& options) {
  const double one = options.legacy_plus_one ? 1.0 : 0.0;
  struct Ref {
    size_t image, det;
  };
  std::vector<Ref> dets;
  std::vector<std::vector<size_t>> gt_idx(images.size());
  std::vector<std::vector<bool>> taken(images.size());
  size_t npos = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    gt_idx[i] = gts_of_class(images[i], label);
    taken[i].assign(gt_idx[i].size(), false);
    for (size_t g : gt_idx[i]) npos += !images[i].gts[g].difficult;
    for (size_t d = 0; d < images[i].dets.size(); ++d)
      if (images[i].dets[d].label == label) dets.push_back({i, d});
  }
  if (npos == 0) return -1;
  std::stable_sort(dets.begin(), dets.end(), [&](const Ref& a, const Ref& b) {
    return images[a.image].dets[a.det].score > images[b.image].dets[b.det].score;
  });

  std::vector<double> rec, prec;
  double tp = 0, fp = 0;
  for (const Ref& ref : dets) {
    const ImageEval& image = images[ref.image];
    double best = -std::numeric_limits<double>::infinity();
    size_t jmax = 0;
    for (size_t j = 0; j < gt_idx[ref.image].size(); ++j) {
      const double ov = voc_iou(image.dets[ref.det].box, image.gts[gt_idx[ref.image][j]].box, one);
      if (ov > best) best = ov, jmax = j;
    }
    if (best > options.iou_threshold) {
      if (!image.gts[gt_idx[ref.image][jmax]].difficult) {
        if (!taken[ref.image][jmax]) {
          tp += 1;
          taken[ref.image][jmax] = true;
        } else {
          fp += 1;
        }
      }
    } else {
      fp += 1;
    }
    rec.push_back(tp / static_cast<double>(npos));
    prec.push_back(tp / std::max(tp + fp, kEps));
  }
  double ap = 0;
  for (int i = 0; i <= 10; ++i) {
    const double t = i * 0.1;  // np.arange(0., 1.1, 0.1)
    double p = 0;
    for (size_t j = 0; j < rec.size(); ++j)
      if (rec[j] >= t) p = std::max(p, prec[j]);
    ap += p / 11.0;
  }
  return ap;
}

}  // namespace

Voc07ApResult voc07_ap(std::span<const ImageEval> images,
                       int num_classes,
                       const Voc07Options& options) {
  check_input(images, num_classes, "voc07_ap");
  Voc07ApResult result;
  double sum = 0;
  size_t count = 0;
  for (int k = 0; k < num_classes; ++k) {
    const double ap = voc07_class_ap(images, k, options);
    result.per_class_ap.push_back(ap);
    if (ap >= 0) sum += ap, ++count;
  }
  result.map = mean_or_minus_one(sum, count);
  return result;
}

}  // namespace train
