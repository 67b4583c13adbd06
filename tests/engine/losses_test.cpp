// Loss functions against hand-computed values: reductions, class weights and ignore_index in
// cross entropy, stable BCE at extreme logits, focal loss, smooth L1 / L1 / MSE; gradchecks, bad
// input.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/losses.h"
#include "test_util.h"

using namespace engine;
using test_util::expect_close;
using test_util::leaf;
using test_util::values;
using Inputs = std::vector<Tensor>;

namespace {

double value(const Tensor& t) {
  return t.item();
}
Tensor f64(const std::vector<double>& v, const Shape& shape) {
  return from_vector<double>(v, shape);
}

TEST(CrossEntropy, WeightsIgnoreIndexAndReductions) {
  const Tensor logits = f64({1, 2, 3, 0, 0, 0, 2, -1, 0.5}, {3, 3});
  const Tensor target = from_vector<std::int64_t>({2, -100, 0});
  auto nll = [](std::vector<double> row, int k) {
    double z = 0;
    for (double v : row) z += std::exp(v);
    return std::log(z) - row[static_cast<std::size_t>(k)];
  };
  const double l0 = nll({1, 2, 3}, 2), l2 = nll({2, -1, 0.5}, 0);
  expect_close(values(cross_entropy(logits, target, {}, -100, Reduction::none)), {l0, 0, l2},
               1e-12);
  EXPECT_NEAR(value(cross_entropy(logits, target)), (l0 + l2) / 2,
              1e-12);  // ignored rows do not count
  EXPECT_NEAR(value(cross_entropy(logits, target, {}, -100, Reduction::sum)), l0 + l2, 1e-12);
  // Weighted mean divides by the summed weights of the targets (PyTorch).
  const Tensor w = f64({0.5, 1, 4}, {3});
  EXPECT_NEAR(value(cross_entropy(logits, target, w)), (4 * l0 + 0.5 * l2) / 4.5, 1e-12);
  expect_close(values(cross_entropy(logits, target, w, -100, Reduction::none)),
               {4 * l0, 0, 0.5 * l2}, 1e-12);
  // An ignore_index inside [0, C) ignores that class; all ignored gives NaN for mean (as PyTorch).
  EXPECT_NEAR(value(cross_entropy(logits, from_vector<std::int64_t>({2, 1, 0}), {}, 1)),
              (l0 + l2) / 2, 1e-12);
  EXPECT_TRUE(
      std::isnan(value(cross_entropy(logits, from_vector<std::int64_t>({1, 1, 1}), {}, 1))));
  // Unbatched logits [C] with a 0-d target, and huge logits stay finite.
  EXPECT_NEAR(value(cross_entropy(f64({1, 2, 3}, {3}), scalar_tensor(2.0, {.dtype = DType::i64}))),
              l0, 1e-12);
  EXPECT_NEAR(value(cross_entropy(f64({1000, 0}, {1, 2}), from_vector<std::int64_t>({1}))), 1000,
              1e-9);
}

TEST(CrossEntropy, GradcheckAndSpatialLogits) {
  const Tensor target = from_vector<std::int64_t>({1, 0, 3, -100, 2});
  const Tensor w = f64({1, 0.5, 2, 3}, {4});
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum})
    EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], target, w, -100, r); },
                     Inputs{leaf({5, 4}, 61)});
  // [N, C, H] logits with [N, H] targets equal the per-position [N * H, C] form.
  const Tensor logits = leaf({2, 3, 4}, 62).detach();
  const Tensor t = from_vector<std::int64_t>({0, 2, 1, 1, 2, 2, 0, 1}, {2, 4});
  const Tensor flat = logits.permute({0, 2, 1}).reshape({8, 3});
  EXPECT_NEAR(value(cross_entropy(logits, t)), value(cross_entropy(flat, t.reshape({8}))), 1e-12);
  EXPECT_GRADCHECK([&](const Inputs& in) { return cross_entropy(in[0], t, {}, 2); },
                   Inputs{leaf({2, 3, 4}, 63)});
}

TEST(CrossEntropy, BadInput) {
  const Tensor logits = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_THROW(cross_entropy(logits, from_vector<std::int64_t>({0, 3})),
               Error);  // class out of range
  EXPECT_THROW(cross_entropy(logits, from_vector<std::int64_t>({0, -1})),
               Error);  // negative, not ignored
  EXPECT_THROW(cross_entropy(logits, from_vector<std::int64_t>({0, 1, 2})),
               Error);                                                      // batch mismatch
  EXPECT_THROW(cross_entropy(logits, from_vector<double>({0, 1})), Error);  // float target
  EXPECT_THROW(cross_entropy(logits, from_vector<std::int64_t>({0, 1}), f64({1, 1}, {2})),
               Error);  // weight size
  EXPECT_THROW(
      cross_entropy(from_vector<std::int64_t>({1, 2}, {1, 2}), from_vector<std::int64_t>({0})),
      Error);
}

TEST(BceWithLogits, ValuesStableAtExtremesAndPosWeight) {
  const Tensor x = f64({0, 2, -3, 800, -800}, {5}), t = f64({1, 0, 0.3, 1, 1}, {5});
  // The direct formula (log(1 - sigmoid) loses a few ulps itself), where it does not overflow.
  auto reference = [](double xv, double tv, double pw) {
    const double sig = 1 / (1 + std::exp(-xv));
    return -(pw * tv * std::log(sig) + (1 - tv) * std::log(1 - sig));
  };
  const auto none = values(binary_cross_entropy_with_logits(x, t, {}, {}, Reduction::none));
  EXPECT_NEAR(none[0], reference(0, 1, 1), 1e-14);
  EXPECT_NEAR(none[1], reference(2, 0, 1), 1e-14);
  EXPECT_NEAR(none[2], reference(-3, 0.3, 1), 1e-14);
  EXPECT_EQ(none[3], 0.0);  // log(1 + e^-800) underflows to 0, no NaN
  EXPECT_NEAR(none[4], 800, 1e-12);
  const auto pw = values(binary_cross_entropy_with_logits(
      x, t, {}, scalar_tensor(3.0, {.dtype = DType::f64}), Reduction::none));
  EXPECT_NEAR(pw[0], reference(0, 1, 3), 1e-14);
  EXPECT_NEAR(pw[2], reference(-3, 0.3, 3), 1e-14);
  EXPECT_NEAR(pw[4], 2400, 1e-9);
  // Exact gradient at x = 0: sigmoid(0) - t = -0.5 for t = 1.
  Tensor x0 = f64({0}, {1});
  x0.requires_grad_(true);
  binary_cross_entropy_with_logits(x0, f64({1}, {1}), {}, {}, Reduction::sum).backward();
  EXPECT_NEAR(values(x0.grad())[0], -0.5, 1e-15);
  EXPECT_NEAR(value(binary_cross_entropy_with_logits(x, t)),
              (none[0] + none[1] + none[2] + none[3] + none[4]) / 5, 1e-12);
}

TEST(BceWithLogits, GradcheckInputAndTargetWithWeights) {
  const Tensor w = f64({0.5, 2}, {2, 1}), pw = f64({1, 3, 0.25}, {3});
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    EXPECT_GRADCHECK(
        [&](const Inputs& in) { return binary_cross_entropy_with_logits(in[0], in[1], w, pw, r); },
        (Inputs{leaf({2, 3}, 64, -4, 4), leaf({2, 3}, 65, 0, 1)}));
  }
  EXPECT_GRADCHECK([&](const Inputs& in) { return binary_cross_entropy_with_logits(in[0], in[1]); },
                   (Inputs{test_util::transposed_leaf(3, 2, 66), leaf({3, 2}, 67, 0, 1)}));
  EXPECT_THROW(binary_cross_entropy_with_logits(f64({1, 2}, {2}), f64({1}, {1})), Error);  // shapes
  EXPECT_THROW(binary_cross_entropy_with_logits(f64({1, 2}, {2}), from_vector<float>({1, 0})),
               Error);  // dtype
  EXPECT_THROW(
      binary_cross_entropy_with_logits(f64({1, 2}, {2}), f64({1, 0}, {2}), {}, f64({1, 2, 3}, {3})),
      Error);
}

TEST(FocalLoss, MatchesDefinitionAndGradchecks) {
  const Tensor x = f64({-2, 0.5, 3, -0.1}, {4}), t = f64({0, 1, 1, 1}, {4});
  std::vector<double> want;
  for (int i = 0; i < 4; ++i) {
    const double xv = values(x)[static_cast<std::size_t>(i)],
                 tv = values(t)[static_cast<std::size_t>(i)];
    const double p = 1 / (1 + std::exp(-xv));
    const double ce = -(tv * std::log(p) + (1 - tv) * std::log(1 - p));
    const double p_t = p * tv + (1 - p) * (1 - tv);
    want.push_back((0.25 * tv + 0.75 * (1 - tv)) * ce * (1 - p_t) * (1 - p_t));
  }
  expect_close(values(sigmoid_focal_loss(x, t)), want, 1e-14);
  EXPECT_NEAR(value(sigmoid_focal_loss(x, t, 0.25, 2.0, Reduction::sum)),
              want[0] + want[1] + want[2] + want[3], 1e-14);
  // gamma 0 and no alpha is plain BCE.
  expect_close(values(sigmoid_focal_loss(x, t, -1, 0)),
               values(binary_cross_entropy_with_logits(x, t, {}, {}, Reduction::none)), 1e-15);
  for (double gamma : {0.0, 1.0, 2.0})
    EXPECT_GRADCHECK(
        [&](const Inputs& in) {
          return sigmoid_focal_loss(in[0], in[1], 0.25, gamma, Reduction::mean);
        },
        (Inputs{leaf({6}, 68, -3, 3), leaf({6}, 69, 0, 1)}));
  EXPECT_THROW(sigmoid_focal_loss(x, t, 0.25, -1), Error);
}

TEST(RegressionLosses, SmoothL1L1Mse) {
  const Tensor x = f64({0, 1, 2, -3}, {4}), y = f64({0.05, 1, 0, -2.5}, {4});
  const double beta = 1.0 / 9;
  // |d| = 0.05 (< beta), 0, 2, 0.5.
  expect_close(values(smooth_l1_loss(x, y, beta, Reduction::none)),
               {0.5 * 0.05 * 0.05 / beta, 0, 2 - 0.5 * beta, 0.5 - 0.5 * beta}, 1e-15);
  expect_close(values(smooth_l1_loss(x, y, 0.0, Reduction::none)), {0.05, 0, 2, 0.5}, 1e-15);
  EXPECT_NEAR(value(smooth_l1_loss(x, y, 1.0)), (0.5 * 0.0025 + 0 + 1.5 + 0.125) / 4, 1e-15);
  EXPECT_NEAR(value(l1_loss(x, y, Reduction::sum)), 2.55, 1e-15);
  EXPECT_NEAR(value(mse_loss(x, y)), (0.0025 + 4 + 0.25) / 4, 1e-15);
  // Gradchecks away from the kinks (|d| = beta and d = 0), for both operands.
  const Tensor a = f64({0.3, -1.2, 0.02, 2.5, -0.07, 0.6}, {2, 3}),
               b = f64({0.1, 0.4, -0.03, 0.2, 0.0, 0.65}, {2, 3});
  Tensor la = a.clone(), lb = b.clone();
  la.requires_grad_(true);
  lb.requires_grad_(true);
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    EXPECT_GRADCHECK([&](const Inputs& in) { return smooth_l1_loss(in[0], in[1], beta, r); },
                     (Inputs{la, lb}));
    EXPECT_GRADCHECK([&](const Inputs& in) { return smooth_l1_loss(in[0], in[1], 0.0, r); },
                     (Inputs{la, lb}));
    EXPECT_GRADCHECK([&](const Inputs& in) { return l1_loss(in[0], in[1], r); }, (Inputs{la, lb}));
    EXPECT_GRADCHECK([&](const Inputs& in) { return mse_loss(in[0], in[1], r); }, (Inputs{la, lb}));
  }
  EXPECT_THROW(smooth_l1_loss(x, y, -1), Error);
  EXPECT_THROW(l1_loss(x, f64({1, 2}, {2})), Error);
  EXPECT_THROW(mse_loss(x, y.to(DType::f32)), Error);
}

}  // namespace
