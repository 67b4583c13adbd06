// train OOD metrics on hand-computed values: separation, ties, the FPR95 cutoff rule, selection of
// detections by score and score kind, and clear errors for empty or non-finite input.
#include "train/metrics/ood_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using train::OodCandidate;
using V = std::vector<double>;

TEST(OodMetrics, PerfectAndReversedSeparation) {
  const auto good = train::ood_metrics(V{3, 4, 5}, V{0, 1, 2});
  EXPECT_DOUBLE_EQ(good.auroc, 1.0);
  EXPECT_DOUBLE_EQ(good.aupr_in, 1.0);
  EXPECT_DOUBLE_EQ(good.fpr95, 0.0);
  const auto bad = train::ood_metrics(V{0, 1, 2}, V{3, 4, 5});
  EXPECT_DOUBLE_EQ(bad.auroc, 0.0);
  EXPECT_DOUBLE_EQ(bad.fpr95, 1.0);
  // Precision 1/4, 2/5, 3/6 at recall 1/3, 2/3, 1.
  EXPECT_NEAR(bad.aupr_in, (1.0 / 4 + 2.0 / 5 + 3.0 / 6) / 3, 1e-15);
}

TEST(OodMetrics, AllEqualScoresAreOneThreshold) {
  const auto m = train::ood_metrics(V{1, 1, 1, 1}, V{1, 1});
  EXPECT_DOUBLE_EQ(m.auroc, 0.5);
  EXPECT_DOUBLE_EQ(m.aupr_in, 4.0 / 6);
  EXPECT_DOUBLE_EQ(m.fpr95, 1.0);
}

// AUROC = P(pos > neg) + P(pos == neg) / 2 over all pairs (Mann-Whitney).
TEST(OodMetrics, AurocCountsTiesAsHalf) {
  const V pos{0.9, 0.5, 0.5, 0.2}, neg{0.5, 0.3, 0.1};
  double wins = 0;
  for (double p : pos)
    for (double n : neg) wins += p > n ? 1.0 : p == n ? 0.5 : 0.0;
  EXPECT_NEAR(train::auroc(pos, neg), wins / 12, 1e-15);
}

// Recalls at the distinct thresholds 5, 4.5, 4, 3.5, 3, 2, 1: .25 .25 .5 .5 .75 1 1; for 0.5 the
// first in reversed order with |recall - .5| = 0 is the threshold 3.5 (2 FP of 3).
TEST(OodMetrics, FprCutoffTakesTheLowestThresholdAtTheClosestRecall) {
  EXPECT_DOUBLE_EQ(train::fpr_at_recall(V{5, 4, 3, 2}, V{4.5, 3.5, 1}, 0.5), 2.0 / 3);
  // 20 positives: recall .95 is met exactly after 19 of them; the negative between them counts.
  V pos, neg{18.5, -1};
  for (int i = 0; i < 20; ++i) pos.push_back(i);
  EXPECT_DOUBLE_EQ(train::fpr_at_recall(pos, neg), 0.5);
}

TEST(OodMetrics, EvaluateOodSelectsConfidentDetectionsAndNegatesOodScores) {
  // ID detections have low ood_score; only det_score > 0.5 counts (0.5 itself does not).
  const std::vector<OodCandidate> id = {{0.9, 0.1}, {0.8, 0.2}, {0.5, 9.0}, {0.3, 9.0}};
  const std::vector<OodCandidate> ood = {{0.7, 0.8}, {0.6, 0.15}, {0.2, -5.0}};
  const auto m = train::evaluate_ood(id, ood);
  EXPECT_EQ(m.num_id, 2u);
  EXPECT_EQ(m.num_ood, 2u);
  EXPECT_DOUBLE_EQ(m.auroc, 0.75);  // -0.15 beats -0.2, loses to -0.1
  // Energy-style values: higher = more ID, used as they are.
  train::OodOptions energy;
  energy.kind = train::OodValueKind::kIdScore;
  EXPECT_DOUBLE_EQ(train::evaluate_ood(id, ood, energy).auroc, 0.25);
}

TEST(OodMetrics, NoConfidentDetectionIsAClearError) {
  const std::vector<OodCandidate> id = {{0.9, 0.1}};
  const std::vector<OodCandidate> ood = {{0.5, 0.8}, {0.1, 0.15}};
  try {
    train::evaluate_ood(id, ood);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no detection on the OOD images has a score above 0.5"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("(2 detections seen)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(train::evaluate_ood({}, ood), std::runtime_error);
}

TEST(OodMetrics, EmptyOrNonFiniteScoresAreErrors) {
  EXPECT_THROW(train::auroc(V{}, V{1}), std::invalid_argument);
  EXPECT_THROW(train::aupr_in(V{1}, V{}), std::invalid_argument);
  EXPECT_THROW(train::fpr_at_recall(V{NAN}, V{1}), std::invalid_argument);
  EXPECT_THROW(train::ood_metrics(V{1}, V{INFINITY}), std::invalid_argument);
}

}  // namespace
