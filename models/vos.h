// VOS (Du et al., ICLR 2022) for Faster R-CNN: per-class queues of box-head features, virtual
// outliers from class-conditional Gaussians with a shared covariance, and the uncertainty loss.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/nn/layers.h"
#include "engine/random.h"

namespace models {

using engine::Tensor;

struct VosConfig {
  std::int64_t queue_size = 1000;     // features kept per class (VOS SAMPLE_NUMBER)
  std::int64_t samples = 10000;       // Gaussian draws per class; the least likely one is kept
  double covariance_eps = 1e-4;       // added to the shared covariance's diagonal
  double loss_weight = 0.1;           // of the uncertainty (logistic-regression) loss
  double start_fraction = 2.0 / 3.0;  // share of the planned steps before outliers are drawn
                                      // (VOS: 12000 of 18000 iterations)
};

class VirtualOutliers : public engine::nn::Module {
 public:
  VirtualOutliers(std::int64_t foreground_classes, std::int64_t feature_dim, VosConfig config);

  // The trainer says where the run stands; outliers are drawn once
  // step >= start_fraction * planned_steps and every queue is full.
  void set_progress(std::int64_t step, std::int64_t planned_steps);
  bool active() const;

  // Adds detached features [F, D] (on the queue's device) of foreground RoIs with class indices in
  // [0, K) to the queues: until every queue is full each class fills its own (extra features
  // dropped), then every queue is first-in first-out (VOS's order).
  void enqueue(const Tensor& features, const std::vector<std::int64_t>& classes);
  bool full() const;
  std::int64_t queued(std::int64_t k) const;  // features held for class k

  Tensor class_means() const;        // [K, D] means of the queues
  Tensor shared_covariance() const;  // [D, D] f64: mean of (x - mu_k)(x - mu_k)^T + eps I
  // One virtual outlier per class [K, D] on the queue's device (drawn on the host): from `samples`
  // draws of N(mu_k, covariance) the one with the lowest likelihood. With x = mu + L z
  // (L L^T = covariance) the log-likelihood is -|z|^2 / 2 + const, so the least likely draw is
  // the z of largest norm.
  Tensor synthesize(engine::Generator& gen) const;

  // log sum_k relu(w_k) exp(z_k) over foreground logits [R, K] -> [R] (VOS's weighted energy).
  Tensor weighted_log_sum_exp(const Tensor& logits) const;
  // loss_weight x cross-entropy of logistic_regression(weighted LSE) with ID foreground RoIs [F, K]
  // labelled 1 and virtual outliers [O, K] labelled 0.
  Tensor uncertainty_loss(const Tensor& foreground_logits, const Tensor& outlier_logits) const;

  const VosConfig& config() const { return config_; }
  std::shared_ptr<engine::nn::Linear> weight_energy;        // Linear(K, 1), weight ~ U(0, 1)
  std::shared_ptr<engine::nn::Linear> logistic_regression;  // Linear(1, 2)

 private:
  VosConfig config_;
  std::int64_t classes_, dim_;
  std::vector<std::int64_t> counts() const;  // count_, read back to the host

  Tensor queue_;  // [K, Q, D] buffer "queue"
  Tensor count_;  // i64 [K] buffer "count": features ever added per class (write position)
  std::int64_t step_ = 0, planned_ = 0;
};

// Lower-triangular L with L L^T = a for a symmetric positive definite [D, D] f64 matrix; throws
// when a is not positive definite (the covariance then lacks its eps on the diagonal).
Tensor cholesky(const Tensor& a);

}  // namespace models
