// The learning-rate schedule formulas, and apply(), which writes lr into the optimizer's groups.
// Every schedule validates its arguments at construction.
#include "engine/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace engine::optim {

void Schedule::apply(Optimizer& optimizer, std::int64_t step) const {
  const double f = factor(step);
  for (auto& group : optimizer.param_groups()) group.lr = group.initial_lr * f;
}

MultiStepSchedule::MultiStepSchedule(std::vector<std::int64_t> milestones, double gamma)
    : milestones_(std::move(milestones)), gamma_(gamma) {
  ENGINE_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()),
               "MultiStepSchedule: milestones must be sorted");
  ENGINE_CHECK(gamma > 0, "MultiStepSchedule: gamma must be positive, got ", gamma);
}

double MultiStepSchedule::factor(std::int64_t step) const {
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), step) - milestones_.begin();
  return std::pow(gamma_, static_cast<double>(passed));
}

CosineSchedule::CosineSchedule(std::int64_t total_steps, double min_factor)
    : total_(total_steps), min_factor_(min_factor) {
  ENGINE_CHECK(total_steps > 0, "CosineSchedule: total_steps must be positive, got ", total_steps);
}

double CosineSchedule::factor(std::int64_t step) const {
  const double t = std::min<double>(static_cast<double>(std::max<std::int64_t>(step, 0)),
                                    static_cast<double>(total_));
  return min_factor_ +
         (1 - min_factor_) * (1 + std::cos(std::numbers::pi * t / static_cast<double>(total_))) / 2;
}

LinearWarmup::LinearWarmup(std::int64_t warmup_steps,
                           double start_factor,
                           std::shared_ptr<Schedule> after)
    : warmup_(warmup_steps),
      start_(start_factor),
      after_(after ? std::move(after) : std::make_shared<ConstantSchedule>()) {
  ENGINE_CHECK(warmup_steps >= 0 && start_factor >= 0 && start_factor <= 1,
               "LinearWarmup: need warmup_steps >= 0 and start_factor in [0, 1]");
}

double LinearWarmup::factor(std::int64_t step) const {
  const double base = after_->factor(step);
  if (step >= warmup_) return base;
  return base * (start_ + (1 - start_) * static_cast<double>(step) / static_cast<double>(warmup_));
}

}  // namespace engine::optim
