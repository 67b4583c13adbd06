// Optimizers beyond the golden run: exact resume from saved state, parameter groups, no-grad
// parameters skipped, gradient clipping, and the learning-rate schedule formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "engine/nn/layers.h"
#include "engine/optim/ema.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/schedule.h"
#include "test_util.h"

using namespace engine;

namespace {

// One step of loss = sum((p - 3)^2) on a fresh gradient.
void quadratic_step(optim::Optimizer& opt, const Tensor& p) {
  opt.zero_grad();
  sum(square(p - 3.0)).backward();
  opt.step();
}

template <typename Opt, typename Options>
void check_resume_is_exact(Options options) {
  Generator gen(9);
  Tensor a = randn({6}, gen).requires_grad_();
  Tensor b = a.detach().clone().requires_grad_();
  Opt straight({a}, options);
  for (int i = 0; i < 6; ++i) quadratic_step(straight, a);

  Opt first({b}, options);
  for (int i = 0; i < 3; ++i) quadratic_step(first, b);
  const nn::NamedTensors saved = first.state();
  Tensor c = b.detach().clone().requires_grad_();
  Opt resumed({c}, options);
  resumed.load_state(saved);
  for (int i = 0; i < 3; ++i) quadratic_step(resumed, c);
  EXPECT_EQ(a.to_vector<float>(), c.to_vector<float>());
}

TEST(Optim, ResumeFromSavedStateIsExact) {
  check_resume_is_exact<optim::SGD>(
      optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3});
  check_resume_is_exact<optim::AdamW>(optim::AdamWOptions{.lr = 0.05});
}

TEST(Optim, GroupsHaveTheirOwnLrAndMissingGradsAreSkipped) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_(),
         frozen = ones({2}).requires_grad_();
  optim::SGD opt({optim::ParamGroup{{a}, 0.1, 0.0}, optim::ParamGroup{{b, frozen}, 0.01, 0.0}}, {});
  sum(add(a, b)).backward();
  opt.step();
  EXPECT_FLOAT_EQ(a.to_vector<float>()[0], 0.9f);
  EXPECT_FLOAT_EQ(b.to_vector<float>()[0], 0.99f);
  EXPECT_FLOAT_EQ(frozen.to_vector<float>()[0], 1.0f);
  EXPECT_THROW(optim::SGD({a}, {.lr = 0.1, .nesterov = true}), Error);
  EXPECT_THROW(optim::SGD({mul(a, 2.0)}, {}), Error);  // not a leaf
}

TEST(Optim, ClipGradNorm) {
  Tensor a = ones({3}).requires_grad_(), b = ones({4}).requires_grad_();
  sum(add(mul(a, 3.0), 0.0)).backward();  // grad 3 x 3
  sum(mul(b, 2.0)).backward();            // grad 2 x 4
  const double norm = optim::clip_grad_norm_({a, b}, 1.0);
  EXPECT_NEAR(norm, std::sqrt(9.0 * 3 + 4.0 * 4), 1e-6);
  const double after = std::sqrt(sum(square(a.grad())).item() + sum(square(b.grad())).item());
  EXPECT_NEAR(after, 1.0, 1e-5);
  EXPECT_NEAR(optim::clip_grad_norm_({a, b}, 10.0), after, 1e-6);  // below the limit: unchanged
  EXPECT_NEAR(std::sqrt(sum(square(a.grad())).item() + sum(square(b.grad())).item()), after, 1e-6);
}

TEST(Optim, ScheduleFormulas) {
  const optim::MultiStepSchedule multistep({12, 16}, 0.1);
  EXPECT_DOUBLE_EQ(multistep.factor(11), 1.0);
  EXPECT_DOUBLE_EQ(multistep.factor(12), 0.1);
  EXPECT_NEAR(multistep.factor(17), 0.01, 1e-15);
  const optim::CosineSchedule cosine(100, 0.1);
  EXPECT_DOUBLE_EQ(cosine.factor(0), 1.0);
  EXPECT_NEAR(cosine.factor(50), 0.55, 1e-12);
  EXPECT_NEAR(cosine.factor(100), 0.1, 1e-12);
  EXPECT_NEAR(cosine.factor(500), 0.1, 1e-12);
  const optim::LinearWarmup warm(
      10, 0.001, std::make_shared<optim::MultiStepSchedule>(std::vector<std::int64_t>{5}, 0.5));
  EXPECT_NEAR(warm.factor(0), 0.001, 1e-15);
  EXPECT_NEAR(warm.factor(4), 0.001 + 0.999 * 0.4, 1e-12);          // before the milestone
  EXPECT_NEAR(warm.factor(6), 0.5 * (0.001 + 0.999 * 0.6), 1e-12);  // warmup on top of the decay
  EXPECT_DOUBLE_EQ(warm.factor(10), 0.5);
  Tensor p = ones({1}).requires_grad_();
  optim::SGD opt({p}, {.lr = 0.02});
  warm.apply(opt, 0);
  EXPECT_NEAR(opt.param_groups()[0].lr, 0.02 * 0.001, 1e-15);
  EXPECT_THROW(optim::MultiStepSchedule({5, 2}, 0.1), Error);
}

}  // namespace

TEST(Optim, EmaWarmupAndUpdate) {
  EXPECT_DOUBLE_EQ(optim::ema_decay_at(0.999, 0), 0.1);
  EXPECT_DOUBLE_EQ(optim::ema_decay_at(0.999, 90), 0.91);
  EXPECT_DOUBLE_EQ(optim::ema_decay_at(0.9, 1000), 0.9);
  Generator gen(3);
  nn::Linear model(3, 2, true, gen), shadow(3, 2, true, gen);
  const auto w0 = shadow.weight.to_vector<float>(), m = model.weight.to_vector<float>();
  optim::ema_update(shadow, model, 0.5, 100);  // decay min(0.5, 101/110) = 0.5
  const auto w1 = shadow.weight.to_vector<float>();
  for (std::size_t i = 0; i < w0.size(); ++i) EXPECT_FLOAT_EQ(w1[i], 0.5f * w0[i] + 0.5f * m[i]);
  optim::ema_update(shadow, model, 0.999, 0);  // decay 0.1
  const auto w2 = shadow.weight.to_vector<float>();
  for (std::size_t i = 0; i < w0.size(); ++i) EXPECT_FLOAT_EQ(w2[i], 0.1f * w1[i] + 0.9f * m[i]);
  nn::Linear wider(4, 2, true, gen);
  EXPECT_THROW(optim::ema_update(wider, model, 0.9, 0), Error);
}
