// Learning-rate schedules as multipliers of each group's initial lr: constant, multistep decay,
// cosine annealing, and linear warmup in front of any of them (torchvision detection's recipe).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/optim/optimizer.h"

namespace engine::optim {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double factor(std::int64_t step) const = 0;         // lr = initial_lr * factor(step)
  void apply(Optimizer& optimizer, std::int64_t step) const;  // sets every group's lr
};

class ConstantSchedule : public Schedule {
 public:
  double factor(std::int64_t) const override { return 1.0; }
};

// gamma ^ (number of milestones <= step), milestones in steps.
class MultiStepSchedule : public Schedule {
 public:
  MultiStepSchedule(std::vector<std::int64_t> milestones, double gamma);
  double factor(std::int64_t step) const override;

 private:
  std::vector<std::int64_t> milestones_;
  double gamma_;
};

// min_factor + (1 - min_factor) (1 + cos(pi step / total)) / 2, held at min_factor after total.
class CosineSchedule : public Schedule {
 public:
  CosineSchedule(std::int64_t total_steps, double min_factor = 0.0);
  double factor(std::int64_t step) const override;

 private:
  std::int64_t total_;
  double min_factor_;
};

// For step < warmup_steps: after(step) * (start + (1 - start) step / warmup_steps); then
// after(step).
class LinearWarmup : public Schedule {
 public:
  LinearWarmup(std::int64_t warmup_steps, double start_factor, std::shared_ptr<Schedule> after);
  double factor(std::int64_t step) const override;

 private:
  std::int64_t warmup_;
  double start_;
  std::shared_ptr<Schedule> after_;
};

}  // namespace engine::optim
