// FPR95 / AUROC / AUPR-In over the distinct-threshold curve of ID (positive) vs OOD (negative)
// scores, with scikit-learn's tie handling; and the selection of detections by score.
#include "train/metrics/ood_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace train {
namespace {

// sklearn _binary_clf_curve: cumulative true/false positives at each distinct score, descending.
struct Curve {
  std::vector<double> tps, fps;
};

Curve binary_clf_curve(std::span<const double> positives,
                       std::span<const double> negatives,
                       const char* metric) {
  if (positives.empty() || negatives.empty())
    throw std::invalid_argument(std::string(metric) +
                                ": needs at least one positive (ID) and one " +
                                "negative (OOD) score, got " + std::to_string(positives.size()) +
                                " and " + std::to_string(negatives.size()));
  struct Sample {
    double score;
    bool positive;
  };
  std::vector<Sample> samples;
  samples.reserve(positives.size() + negatives.size());
  for (double s : positives) samples.push_back({s, true});
  for (double s : negatives) samples.push_back({s, false});
  for (const Sample& s : samples)
    if (!std::isfinite(s.score))
      throw std::invalid_argument(std::string(metric) + ": scores must be finite, got " +
                                  std::to_string(s.score));
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.score > b.score; });
  Curve c;
  double tp = 0, fp = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    (samples[i].positive ? tp : fp) += 1;
    if (i + 1 == samples.size() || samples[i + 1].score != samples[i].score) {
      c.tps.push_back(tp);
      c.fps.push_back(fp);
    }
  }
  return c;
}

}  // namespace

double auroc(std::span<const double> positives, std::span<const double> negatives) {
  const Curve c = binary_clf_curve(positives, negatives, "auroc");
  // roc_curve(drop_intermediate=True): drop collinear points, then start at (0, 0).
  std::vector<double> fps{0}, tps{0};
  const size_t n = c.tps.size();
  for (size_t i = 0; i < n; ++i) {
    const bool keep = i == 0 || i + 1 == n || c.fps[i + 1] - 2 * c.fps[i] + c.fps[i - 1] != 0 ||
                      c.tps[i + 1] - 2 * c.tps[i] + c.tps[i - 1] != 0;
    if (keep) fps.push_back(c.fps[i]), tps.push_back(c.tps[i]);
  }
  double area = 0;
  for (size_t i = 1; i < fps.size(); ++i) {
    const double x0 = fps[i - 1] / fps.back(), x1 = fps[i] / fps.back();
    const double y0 = tps[i - 1] / tps.back(), y1 = tps[i] / tps.back();
    area += (x1 - x0) * (y1 + y0) / 2.0;
  }
  return area;
}

double aupr_in(std::span<const double> positives, std::span<const double> negatives) {
  const Curve c = binary_clf_curve(positives, negatives, "aupr_in");
  double ap = 0, previous_recall = 0;
  for (size_t i = 0; i < c.tps.size(); ++i) {
    const double recall = c.tps[i] / c.tps.back();
    ap += (recall - previous_recall) * (c.tps[i] / (c.tps[i] + c.fps[i]));
    previous_recall = recall;
  }
  return ap;
}

double fpr_at_recall(std::span<const double> positives,
                     std::span<const double> negatives,
                     double recall_level) {
  const Curve c = binary_clf_curve(positives, negatives, "fpr_at_recall");
  const double total = c.tps.back();
  const size_t last =
      static_cast<size_t>(std::lower_bound(c.tps.begin(), c.tps.end(), total) - c.tps.begin());
  // Reversed from `last` down to 0; the first minimum of |recall - level| wins. VOS appends a
  // (recall 1, 0 FP) point after these, which never wins: the recall at `last` is already 1.
  double best_distance = std::numeric_limits<double>::infinity(), best_fps = 0;
  for (size_t i = last + 1; i-- > 0;) {
    const double distance = std::abs(c.tps[i] / total - recall_level);
    if (distance < best_distance) best_distance = distance, best_fps = c.fps[i];
  }
  return best_fps / static_cast<double>(negatives.size());
}

OodMetrics ood_metrics(std::span<const double> positives,
                       std::span<const double> negatives,
                       double recall_level) {
  OodMetrics m;
  m.fpr95 = fpr_at_recall(positives, negatives, recall_level);
  m.auroc = auroc(positives, negatives);
  m.aupr_in = aupr_in(positives, negatives);
  m.num_id = positives.size();
  m.num_ood = negatives.size();
  return m;
}

namespace {

std::vector<double> select_scores(std::span<const OodCandidate> detections,
                                  const OodOptions& options,
                                  const char* side) {
  std::vector<double> scores;
  for (const OodCandidate& d : detections)
    if (d.det_score > options.det_score_threshold)
      scores.push_back(options.kind == OodValueKind::kOodScore ? -d.value : d.value);
  if (scores.empty())
    throw std::runtime_error(
        std::string("OOD metrics: no detection on the ") + side + " images has a score above " +
        std::to_string(options.det_score_threshold) + " (" + std::to_string(detections.size()) +
        " detections seen); the metrics are undefined. Check the model, or lower the detection "
        "score threshold.");
  return scores;
}

}  // namespace

OodMetrics evaluate_ood(std::span<const OodCandidate> id_detections,
                        std::span<const OodCandidate> ood_detections,
                        const OodOptions& options) {
  const std::vector<double> positives = select_scores(id_detections, options, "ID");
  const std::vector<double> negatives = select_scores(ood_detections, options, "OOD");
  return ood_metrics(positives, negatives, options.recall_level);
}

}  // namespace train
