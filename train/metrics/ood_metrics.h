// OOD detection metrics as Dream-Box's ood_metrics.py (a copy of VOS's metric_utils.py):
// FPR at 95% TPR, AUROC and AUPR-In, with in-distribution detections as the positive class.
#pragma once

#include <cstddef>
#include <span>

namespace train {

// The curve metrics on raw scores, higher = more in-distribution; `positives` are ID samples,
// `negatives` OOD samples. Ties are handled as scikit-learn 1.2 does (all samples with one score
// form one threshold). Both sets must be non-empty and all scores finite (else an exception).
//  - auroc: sklearn.metrics.roc_auc_score (trapezoids on the ROC at distinct thresholds).
//  - aupr_in: sklearn.metrics.average_precision_score with ID positive ("AUPR-In"): the sum over
//    distinct thresholds of (recall step) x precision, no interpolation.
//  - fpr_at_recall: VOS fpr_and_fdr_at_recall: at distinct thresholds (descending) up to the first
//    one reaching full recall, plus an appended (recall 1, 0 FP) point, take the first cutoff in
//    reversed order with min |recall - level|; FPR = FP there / #negatives.
double auroc(std::span<const double> positives, std::span<const double> negatives);
double aupr_in(std::span<const double> positives, std::span<const double> negatives);
double fpr_at_recall(std::span<const double> positives,
                     std::span<const double> negatives,
                     double recall_level = 0.95);

struct OodMetrics {
  double fpr95 = 0;  // FPR at recall_level TPR (0.95 by default), in [0, 1]
  double auroc = 0;
  double aupr_in = 0;
  size_t num_id = 0;   // positives used
  size_t num_ood = 0;  // negatives used
};

OodMetrics ood_metrics(std::span<const double> positives,
                       std::span<const double> negatives,
                       double recall_level = 0.95);

// One final detection: its classification score and the value the OOD score is made from.
struct OodCandidate {
  double det_score = 0;  // classification score, compared with det_score_threshold
  double value = 0;      // the detection's ood_score, or its energy score (see OodValueKind)
};

enum class OodValueKind {
  kOodScore,  // Dream-Box OOD head: higher = more OOD; the metric score is -value
  kIdScore,   // energy / LSE of the foreground logits (vanilla, VOS): higher = more ID; value as is
};

struct OodOptions {
  double det_score_threshold = 0.5;  // strict: detections with det_score > this count
  OodValueKind kind = OodValueKind::kOodScore;
  double recall_level = 0.95;
};

// The paper's protocol: every detection on ID test images with det_score > threshold is a
// positive, every such detection on OOD images a negative, no GT matching. Throws when either
// side has no detection above the threshold (the message says which and how many were seen).
OodMetrics evaluate_ood(std::span<const OodCandidate> id_detections,
                        std::span<const OodCandidate> ood_detections,
                        const OodOptions& options = {});

}  // namespace train
