// VOS virtual outliers against direct computations: queue filling and FIFO order, the shared
// covariance as an explicit double sum, Cholesky, the least-likely draw checked with an
// independently inverted covariance, the weighted energy, and a gradcheck of the uncertainty loss.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "engine/gradcheck.h"
#include "engine/ops.h"
#include "models/vos.h"

using namespace engine;

namespace {

models::VosConfig small(std::int64_t queue, std::int64_t samples = 16) {
  models::VosConfig c;
  c.queue_size = queue;
  c.samples = samples;
  return c;
}

TEST(Vos, QueuesFillPerClassThenTurnFirstInFirstOut) {
  models::VirtualOutliers vos(2, 1, small(2));
  // Class 0 fills (1, 2); its third feature is dropped while class 1 is not full.
  vos.enqueue(from_vector<float>({1, 2, 3, 10}, {4, 1}), {0, 0, 0, 1});
  EXPECT_EQ(vos.queued(0), 2);
  EXPECT_EQ(vos.queued(1), 1);
  EXPECT_FALSE(vos.full());
  EXPECT_EQ(vos.class_means().to_vector<float>()[0], 1.5f);
  vos.enqueue(from_vector<float>({20}, {1, 1}), {1});
  EXPECT_TRUE(vos.full());
  // Now every new feature replaces the oldest of its class: (1, 2) -> (2, 7) -> (7, 9).
  vos.enqueue(from_vector<float>({7}, {1, 1}), {0});
  EXPECT_EQ(vos.class_means().to_vector<float>(), (std::vector<float>{4.5f, 15.0f}));
  vos.enqueue(from_vector<float>({9}, {1, 1}), {0});
  EXPECT_EQ(vos.class_means().to_vector<float>(), (std::vector<float>{8.0f, 15.0f}));
  EXPECT_THROW(vos.enqueue(from_vector<float>({1}, {1, 1}), {2}), std::exception);
}

TEST(Vos, ActiveOnceTheQueuesAreFullAndTheStartStepIsReached) {
  models::VirtualOutliers vos(1, 1, small(2));
  vos.set_progress(90, 90);
  EXPECT_FALSE(vos.active());  // queue not full
  vos.enqueue(from_vector<float>({1, 2}, {2, 1}), {0, 0});
  vos.set_progress(59, 90);  // start at 2/3 of 90 = 60
  EXPECT_FALSE(vos.active());
  vos.set_progress(60, 90);
  EXPECT_TRUE(vos.active());
}

// Fills the queues of a K-class, D-dim VOS with the values base + a formula; returns them.
std::vector<std::vector<std::array<double, 3>>> fill(models::VirtualOutliers& vos,
                                                     std::int64_t classes,
                                                     std::int64_t queue) {
  std::vector<std::vector<std::array<double, 3>>> rows(static_cast<std::size_t>(classes));
  std::vector<float> values;
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < queue; ++i)
    for (std::int64_t k = 0; k < classes; ++k) {
      std::array<double, 3> x{};
      for (int d = 0; d < 3; ++d) {
        x[d] = static_cast<float>(std::sin(1.3 * i + 2.1 * d + 0.7 * k) * (1 + d) + 3 * k);
        values.push_back(static_cast<float>(x[d]));
      }
      rows[static_cast<std::size_t>(k)].push_back(x);
      labels.push_back(k);
    }
  vos.enqueue(from_vector(values, {static_cast<std::int64_t>(labels.size()), 3}), labels);
  return rows;
}

TEST(Vos, SharedCovarianceIsTheExplicitSumPlusEps) {
  models::VirtualOutliers vos(2, 3, small(5));
  const auto rows = fill(vos, 2, 5);
  double expected[3][3] = {};
  for (const auto& cls : rows) {
    double mu[3] = {};
    for (const auto& x : cls)
      for (int d = 0; d < 3; ++d) mu[d] += x[d] / static_cast<double>(cls.size());
    for (const auto& x : cls)
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) expected[a][b] += (x[a] - mu[a]) * (x[b] - mu[b]) / 10.0;
  }
  const auto cov = vos.shared_covariance().to_vector<double>();
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b)
      EXPECT_NEAR(cov[static_cast<std::size_t>(3 * a + b)], expected[a][b] + (a == b ? 1e-4 : 0.0),
                  1e-5)
          << a << "," << b;
}

TEST(Vos, CholeskyReconstructsAndRejectsIndefiniteMatrices) {
  const Tensor a = from_vector<double>({4, 2, 0.4, 2, 5, 1, 0.4, 1, 3}, {3, 3});
  const Tensor l = models::cholesky(a);
  const auto lv = l.to_vector<double>();
  EXPECT_EQ(lv[1], 0.0);  // lower triangular
  const auto back = mm(l, l.t()).to_vector<double>();
  const auto av = a.to_vector<double>();
  for (std::size_t i = 0; i < av.size(); ++i) EXPECT_NEAR(back[i], av[i], 1e-12) << i;
  EXPECT_THROW(models::cholesky(from_vector<double>({1, 2, 2, 1}, {2, 2})), std::runtime_error);
}

TEST(Vos, OutlierIsTheLeastLikelyOfTheDraws) {
  constexpr std::int64_t kSamples = 50;
  models::VirtualOutliers vos(2, 3, small(6, kSamples));
  fill(vos, 2, 6);
  Generator gen(123), replay(123);
  const auto outliers = vos.synthesize(gen).to_vector<float>();  // [2, 3]
  const auto cov = vos.shared_covariance().to_vector<double>();
  const auto means = vos.class_means().to_vector<float>();
  // Inverse covariance by cofactors (independent of the Cholesky path).
  auto c = [&](int r, int k) { return cov[static_cast<std::size_t>(3 * r + k)]; };
  double inv[3][3];
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k)
      inv[k][r] = c((r + 1) % 3, (k + 1) % 3) * c((r + 2) % 3, (k + 2) % 3) -
                  c((r + 1) % 3, (k + 2) % 3) * c((r + 2) % 3, (k + 1) % 3);
  const double det = c(0, 0) * inv[0][0] + c(0, 1) * inv[1][0] + c(0, 2) * inv[2][0];
  for (int k = 0; k < 2; ++k) {
    // Every draw x = mu + L z has Mahalanobis distance |z|^2: the outlier must have the largest.
    const auto z = randn({kSamples, 3}, replay).to_vector<float>();
    double largest = 0;
    for (std::int64_t s = 0; s < kSamples; ++s) {
      double n2 = 0;
      for (int d = 0; d < 3; ++d) n2 += std::pow(z[static_cast<std::size_t>(3 * s + d)], 2);
      largest = std::max(largest, n2);
    }
    double delta[3], mahalanobis = 0;
    for (int d = 0; d < 3; ++d)
      delta[d] = outliers[static_cast<std::size_t>(3 * k + d)] -
                 means[static_cast<std::size_t>(3 * k + d)];
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) mahalanobis += delta[a] * inv[a][b] / det * delta[b];
    EXPECT_NEAR(mahalanobis, largest, 1e-3 * largest) << "class " << k;
  }
}

TEST(Vos, WeightedEnergyAndGradcheckOfTheUncertaintyLoss) {
  models::VirtualOutliers vos(3, 4, small(2));
  // Weighted LSE by hand, with a negative weight switched off by the ReLU.
  vos.weight_energy->weight = from_vector<double>({0.5, -1.0, 2.0}, {1, 3});
  const auto e = vos.weighted_log_sum_exp(from_vector<double>({1.0, 7.0, -2.0}, {1, 3}));
  EXPECT_NEAR(e.item(), std::log(0.5 * std::exp(1.0) + 2.0 * std::exp(-2.0)), 1e-12);

  GradcheckOptions opts;
  auto loss = [&](const std::vector<Tensor>& in) {
    vos.weight_energy->weight = in[2];
    vos.logistic_regression->weight = in[3];
    vos.logistic_regression->bias = in[4];
    return vos.uncertainty_loss(in[0], in[1]);
  };
  auto leaf = [](std::vector<double> v, Shape shape) {
    return from_vector(v, shape).requires_grad_(true);
  };
  const std::vector<Tensor> inputs = {
      leaf({0.3, -1.2, 2.0, 1.1, 0.4, -0.5}, {2, 3}),                  // ID foreground logits
      leaf({-0.7, 0.2, 0.9, 1.5, -2.0, 0.1, 0.0, 0.6, -0.3}, {3, 3}),  // outlier logits
      leaf({0.6, 0.25, 0.9}, {1, 3}),                                  // weight_energy (all > 0)
      leaf({0.8, -0.4}, {2, 1}),                                       // logistic_regression weight
      leaf({0.1, -0.2}, {2})};                                         // and bias
  const auto r = gradcheck(loss, inputs, opts);
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
