// Matcher and sampler: thresholds, the low-quality rule with ties, empty ground truth, and the
// sampler's counts, disjointness and determinism for a seed.
#include <gtest/gtest.h>

#include <set>

#include "engine/ops.h"
#include "models/matcher.h"

using namespace engine;

TEST(Matcher, ThresholdsAndLowQualityMatches) {
  // 2 ground truths x 5 predictions.
  const Tensor iou = from_vector<float>({0.8f, 0.5f, 0.2f, 0.1f, 0.35f,  //
                                         0.1f, 0.6f, 0.25f, 0.35f, 0.35f},
                                        {2, 5});
  EXPECT_EQ(models::match(iou, 5, 0.7, 0.3, false).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, models::kBetween, models::kBelowLow, models::kBetween,
                                       models::kBetween}));
  // With low-quality matches ground truth 1 keeps its best predictions (1; 0.6 is its maximum).
  EXPECT_EQ(
      models::match(iou, 5, 0.7, 0.3, true).to_vector<std::int64_t>(),
      (std::vector<std::int64_t>{0, 1, models::kBelowLow, models::kBetween, models::kBetween}));
  // Ties: ground truth 0's maximum 0.35 is shared by two predictions in another matrix.
  const Tensor tied = from_vector<float>({0.35f, 0.1f, 0.35f}, {1, 3});
  EXPECT_EQ(models::match(tied, 3, 0.7, 0.3, true).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, -1, 0}));
  EXPECT_EQ(models::match(tied, 3, 0.5, 0.5, false).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-1, -1, -1}));
  EXPECT_EQ(models::match(Tensor(), 2, 0.7, 0.3, true).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{-1, -1}));
  EXPECT_THROW(models::match(tied, 4, 0.7, 0.3, true), Error);
}

TEST(Sampler, CountsDisjointAndDeterministic) {
  std::vector<std::int64_t> labels(1000, 0);
  for (int i = 0; i < 1000; i += 50) labels[i] = 1;   // 20 positives
  for (int i = 1; i < 1000; i += 10) labels[i] = -1;  // ignored
  Generator a(3), b(3);
  const auto s = models::sample_balanced(labels, 256, 0.5, a);
  EXPECT_EQ(s.positive.size(), 20u);   // fewer positives than 128: all of them
  EXPECT_EQ(s.negative.size(), 236u);  // the rest of the batch
  std::set<std::int64_t> seen;
  for (auto i : s.positive) EXPECT_EQ(labels[i], 1);
  for (auto i : s.negative) EXPECT_EQ(labels[i], 0);
  for (auto i : s.positive) seen.insert(i);
  for (auto i : s.negative) seen.insert(i);
  EXPECT_EQ(seen.size(), 256u);
  const auto again = models::sample_balanced(labels, 256, 0.5, b);
  EXPECT_EQ(s.positive, again.positive);
  EXPECT_EQ(s.negative, again.negative);
  std::vector<std::int64_t> many(300, 1);
  EXPECT_EQ(models::sample_balanced(many, 256, 0.25, a).positive.size(), 64u);
}
