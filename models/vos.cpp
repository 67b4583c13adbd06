// VOS virtual outliers (see vos.h): the queues live in module buffers (on the model's device) so
// that checkpoints hold them and a resumed run draws the same outliers; the queue bookkeeping
// (counts, slots) and the Gaussian math in f64 run on the host, reading the buffers back.
#include "models/vos.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/autograd.h"
#include "engine/error.h"
#include "engine/losses.h"
#include "engine/ops.h"

namespace models {

VirtualOutliers::VirtualOutliers(std::int64_t foreground_classes,
                                 std::int64_t feature_dim,
                                 VosConfig config)
    : config_(config), classes_(foreground_classes), dim_(feature_dim) {
  ENGINE_CHECK(classes_ >= 1 && dim_ >= 1 && config_.queue_size >= 2 && config_.samples >= 1,
               "VirtualOutliers: need classes, feature size, samples >= 1 and queue size >= 2");
  weight_energy =
      register_module("weight_energy", std::make_shared<engine::nn::Linear>(classes_, 1));
  {
    engine::autograd::NoGradGuard no_grad;
    engine::uniform_(weight_energy->weight, 0.0, 1.0, engine::default_generator());
  }
  logistic_regression =
      register_module("logistic_regression", std::make_shared<engine::nn::Linear>(1, 2));
  queue_ = register_buffer("queue", engine::zeros({classes_, config_.queue_size, dim_}));
  count_ = register_buffer("count", engine::zeros({classes_}, {.dtype = engine::DType::i64}));
}

void VirtualOutliers::set_progress(std::int64_t step, std::int64_t planned_steps) {
  step_ = step;
  planned_ = planned_steps;
}

bool VirtualOutliers::active() const {
  return full() &&
         static_cast<double>(step_) >= config_.start_fraction * static_cast<double>(planned_);
}

std::vector<std::int64_t> VirtualOutliers::counts() const {
  return count_.to_vector<std::int64_t>();  // [K], read back from the device
}

std::int64_t VirtualOutliers::queued(std::int64_t k) const {
  return std::min(counts()[static_cast<std::size_t>(k)], config_.queue_size);
}

bool VirtualOutliers::full() const {
  const auto count = counts();
  return std::all_of(count.begin(), count.end(),
                     [&](std::int64_t c) { return c >= config_.queue_size; });
}

void VirtualOutliers::enqueue(const Tensor& features, const std::vector<std::int64_t>& classes) {
  ENGINE_CHECK(features.dim() == 2 && features.size(1) == dim_ &&
                   features.size(0) == static_cast<std::int64_t>(classes.size()),
               "VirtualOutliers::enqueue: expected [", classes.size(), ", ", dim_, "] features");
  engine::autograd::NoGradGuard no_grad;
  const Tensor f = features.detach().to(engine::DType::f32);
  const Tensor rows = queue_.view({classes_ * config_.queue_size, dim_});  // [K Q, D]
  std::vector<std::int64_t> count = counts();
  const std::int64_t q = config_.queue_size;
  const auto all_full = [&] {
    return std::all_of(count.begin(), count.end(), [&](std::int64_t c) { return c >= q; });
  };
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const std::int64_t k = classes[i];
    ENGINE_CHECK(k >= 0 && k < classes_, "VirtualOutliers::enqueue: class ", k, " outside [0, ",
                 classes_, ")");
    auto& c = count[static_cast<std::size_t>(k)];
    if (!all_full() && c >= q) continue;  // this class waits for the others
    // Filling: slot c; once all are full: overwrite the oldest (ring order = FIFO order).
    rows.select(0, k * q + c % q).copy_(f.select(0, static_cast<std::int64_t>(i)));
    ++c;
  }
  count_.copy_(engine::from_vector(count));
}

Tensor VirtualOutliers::class_means() const {
  return engine::mean(queue_, {1});  // [K, D]
}

Tensor VirtualOutliers::shared_covariance() const {
  const Tensor queue = queue_.to(engine::Device::cpu());  // [K, Q, D], read back
  const Tensor centred = engine::sub(queue, engine::mean(queue, {1}, true))
                             .reshape({classes_ * config_.queue_size, dim_})
                             .to(engine::DType::f64);                   // [K Q, D]
  const Tensor scatter = engine::mm(centred.transpose(0, 1), centred);  // [D, D]
  Tensor cov =
      engine::mul(scatter, 1.0 / static_cast<double>(classes_ * config_.queue_size)).contiguous();
  double* c = cov.data_ptr<double>();
  for (std::int64_t d = 0; d < dim_; ++d) c[d * dim_ + d] += config_.covariance_eps;
  return cov;
}

Tensor VirtualOutliers::synthesize(engine::Generator& gen) const {
  const Tensor means =
      class_means().to(engine::Device::cpu()).to(engine::DType::f64).contiguous();  // [K, D]
  const Tensor lower = cholesky(shared_covariance());                               // [D, D]
  const double* mu = means.data_ptr<double>();
  const double* l = lower.data_ptr<double>();
  std::vector<float> out(static_cast<std::size_t>(classes_ * dim_));
  for (std::int64_t k = 0; k < classes_; ++k) {
    const Tensor z = engine::randn({config_.samples, dim_}, gen);  // [S, D]
    const auto least_likely =
        static_cast<std::int64_t>(engine::argmax(engine::sum(engine::mul(z, z), {1}), 0).item());
    const auto zk = z.select(0, least_likely).to(engine::DType::f64).to_vector<double>();
    for (std::int64_t r = 0; r < dim_; ++r) {
      double x = mu[k * dim_ + r];
      for (std::int64_t c = 0; c <= r; ++c) x += l[r * dim_ + c] * zk[static_cast<std::size_t>(c)];
      out[static_cast<std::size_t>(k * dim_ + r)] = static_cast<float>(x);
    }
  }
  return engine::from_vector(out, {classes_, dim_}, {.device = queue_.device()});
}

Tensor VirtualOutliers::weighted_log_sum_exp(const Tensor& logits) const {
  const Tensor top = engine::amax(logits, {1}, true).detach();  // [R, 1], for stability only
  const Tensor weights = engine::relu(weight_energy->weight.to(logits.dtype()));  // [1, K]
  const Tensor terms = engine::mul(weights, engine::exp(engine::sub(logits, top)));
  return engine::add(engine::log(engine::sum(terms, {1})), top.squeeze(1));  // [R]
}

Tensor VirtualOutliers::uncertainty_loss(const Tensor& foreground_logits,
                                         const Tensor& outlier_logits) const {
  const Tensor energies = engine::cat(
      {weighted_log_sum_exp(foreground_logits), weighted_log_sum_exp(outlier_logits)}, 0);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(energies.size(0)), 0);
  std::fill_n(labels.begin(), foreground_logits.size(0), 1);  // ID = 1, virtual outliers = 0
  const Tensor logits = logistic_regression->forward(energies.unsqueeze(1));  // [F + O, 2]
  return engine::mul(
      engine::cross_entropy(
          logits, engine::from_vector(labels, {energies.size(0)},
                                      {.dtype = engine::DType::i64, .device = logits.device()})),
      config_.loss_weight);
}

Tensor cholesky(const Tensor& a) {
  ENGINE_CHECK(a.dim() == 2 && a.size(0) == a.size(1) && a.dtype() == engine::DType::f64,
               "cholesky: expected a square f64 matrix");
  const std::int64_t n = a.size(0);
  const auto m = a.contiguous().to_vector<double>();
  std::vector<double> l(m.size(), 0.0);
  for (std::int64_t j = 0; j < n; ++j) {
    double diagonal = m[static_cast<std::size_t>(j * n + j)];
    for (std::int64_t k = 0; k < j; ++k) diagonal -= l[j * n + k] * l[j * n + k];
    if (!(diagonal > 0))
      throw std::runtime_error("cholesky: the matrix is not positive definite (pivot " +
                               std::to_string(j) + " = " + std::to_string(diagonal) + ")");
    const double ljj = std::sqrt(diagonal);
    l[j * n + j] = ljj;
    for (std::int64_t i = j + 1; i < n; ++i) {
      double s = m[static_cast<std::size_t>(i * n + j)];
      for (std::int64_t k = 0; k < j; ++k) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return engine::from_vector(l, {n, n});
}

}  // namespace models
