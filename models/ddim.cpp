// DDIM scheduler: beta schedules in f64, timestep spacings (round half to even like numpy), the
// forward process and the DDIM update with clipping or dynamic thresholding.
#include "models/ddim.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/ops.h"

namespace models {

BetaSchedule beta_schedule_from_name(const std::string& name) {
  if (name == "linear") return BetaSchedule::linear;
  if (name == "scaled_linear") return BetaSchedule::scaled_linear;
  if (name == "squaredcos_cap_v2" || name == "cosine") return BetaSchedule::squaredcos_cap_v2;
  ENGINE_FAIL("unknown beta schedule '", name, "' (use linear, scaled_linear or cosine)");
}

TimestepSpacing timestep_spacing_from_name(const std::string& name) {
  if (name == "leading") return TimestepSpacing::leading;
  if (name == "trailing") return TimestepSpacing::trailing;
  if (name == "linspace") return TimestepSpacing::linspace;
  ENGINE_FAIL("unknown timestep spacing '", name, "' (use leading, trailing or linspace)");
}

PredictionType prediction_type_from_name(const std::string& name) {
  if (name == "epsilon" || name == "eps") return PredictionType::epsilon;
  if (name == "v_prediction" || name == "v") return PredictionType::v_prediction;
  ENGINE_FAIL("unknown prediction type '", name, "' (use epsilon or v_prediction)");
}

namespace {

std::vector<double> make_betas(const DDIMSchedulerConfig& c) {
  const std::int64_t n = c.num_train_timesteps;
  std::vector<double> betas(static_cast<std::size_t>(n));
  const bool sd = c.beta_schedule == BetaSchedule::scaled_linear;
  const double b0 = c.beta_start.value_or(sd ? 0.00085 : 1e-4);
  const double b1 = c.beta_end.value_or(sd ? 0.012 : 0.02);
  // torch.linspace(a, b, n)[i] = a + i (b - a) / (n - 1)
  const auto lin = [&](double a, double b, std::int64_t i) {
    return n == 1 ? a : a + static_cast<double>(i) * (b - a) / static_cast<double>(n - 1);
  };
  const auto f = [](double u) {  // Improved-DDPM alpha_bar(u), u in [0, 1]
    const double c = std::cos((u + 0.008) / 1.008 * std::numbers::pi / 2);
    return c * c;
  };
  for (std::int64_t i = 0; i < n; ++i) {
    double& b = betas[static_cast<std::size_t>(i)];
    switch (c.beta_schedule) {
      case BetaSchedule::linear:
        b = lin(b0, b1, i);
        break;
      case BetaSchedule::scaled_linear: {
        const double s = lin(std::sqrt(b0), std::sqrt(b1), i);
        b = s * s;
        break;
      }
      case BetaSchedule::squaredcos_cap_v2: {
        const double tn = static_cast<double>(n);
        b = std::min(1.0 - f(static_cast<double>(i + 1) / tn) / f(static_cast<double>(i) / tn),
                     0.999);
        break;
      }
    }
  }
  return betas;
}

}  // namespace

DDIMScheduler::DDIMScheduler(const DDIMSchedulerConfig& config) : config_(config) {
  ENGINE_CHECK(config_.num_train_timesteps > 0,
               "DDIMScheduler: num_train_timesteps must be "
               "positive, got ",
               config_.num_train_timesteps);
  ENGINE_CHECK(config_.dynamic_thresholding_ratio > 0 && config_.dynamic_thresholding_ratio <= 1,
               "DDIMScheduler: dynamic_thresholding_ratio must lie in (0, 1], got ",
               config_.dynamic_thresholding_ratio);
  ENGINE_CHECK(config_.sample_max_value >= 1 && config_.clip_sample_range > 0,
               "DDIMScheduler: sample_max_value must be >= 1 and clip_sample_range positive");
  double prod = 1.0;
  for (double beta : make_betas(config_)) {
    ENGINE_CHECK(beta > 0 && beta < 1, "DDIMScheduler: beta ", beta,
                 " outside (0, 1); check beta_start / beta_end");
    prod *= 1.0 - beta;
    alphas_cumprod_.push_back(prod);
  }
}

void DDIMScheduler::set_timesteps(std::int64_t n) {
  const std::int64_t total = config_.num_train_timesteps;
  ENGINE_CHECK(n > 0 && n <= total, "DDIMScheduler: num_inference_steps must lie in [1, ", total,
               "], got ", n);
  timesteps_.assign(static_cast<std::size_t>(n), 0);
  const double tn = static_cast<double>(total);
  for (std::int64_t k = 0; k < n; ++k) {
    std::int64_t t = 0;
    switch (config_.timestep_spacing) {
      case TimestepSpacing::leading:  // arange(n) * (T // n), reversed, + offset
        t = (n - 1 - k) * (total / n) + config_.steps_offset;
        break;
      case TimestepSpacing::trailing:  // round(arange(T, 0, -T / n)) - 1
        t = static_cast<std::int64_t>(
                std::nearbyint(tn - static_cast<double>(k) * (tn / static_cast<double>(n)))) -
            1;
        break;
      case TimestepSpacing::linspace:  // round(linspace(0, T - 1, n)), reversed
        t = static_cast<std::int64_t>(std::nearbyint(
            n == 1 ? 0.0 : static_cast<double>(n - 1 - k) * (tn - 1) / static_cast<double>(n - 1)));
        break;
    }
    ENGINE_CHECK(t >= 0 && t < total, "DDIMScheduler: timestep ", t, " outside [0, ", total,
                 "); check steps_offset");
    timesteps_[static_cast<std::size_t>(k)] = t;
  }
}

Tensor DDIMScheduler::alpha_factor(const Tensor& t, bool noise_part, const Tensor& like) const {
  ENGINE_CHECK(t.dim() == 1 && t.size(0) == like.size(0), "DDIMScheduler: timesteps must be [",
               like.size(0), "], got ", t.str());
  const std::int64_t total = config_.num_train_timesteps;
  std::vector<float> values;  // a cuda t is read back (N numbers), the factors go back up
  for (std::int64_t ti : t.to(engine::DType::i64).to_vector<std::int64_t>()) {
    ENGINE_CHECK(ti >= 0 && ti < total, "DDIMScheduler: timestep ", ti, " outside [0, ", total,
                 ")");
    const double a = alphas_cumprod_[static_cast<std::size_t>(ti)];
    values.push_back(static_cast<float>(std::sqrt(noise_part ? 1.0 - a : a)));
  }
  engine::Shape shape(static_cast<std::size_t>(like.dim()), 1);
  shape[0] = like.size(0);
  return engine::from_vector(values, shape).to(like.dtype()).to(like.device());  // [N, 1, ...]
}

Tensor DDIMScheduler::add_noise(const Tensor& x0, const Tensor& noise, const Tensor& t) const {
  return engine::add(engine::mul(x0, alpha_factor(t, false, x0)),
                     engine::mul(noise, alpha_factor(t, true, x0)));
}

Tensor DDIMScheduler::add_noise(const Tensor& x0, const Tensor& noise, std::int64_t t) const {
  ENGINE_CHECK(t >= 0 && t < config_.num_train_timesteps, "DDIMScheduler: timestep ", t,
               " outside [0, ", config_.num_train_timesteps, ")");
  const double a = alphas_cumprod_[static_cast<std::size_t>(t)];
  // Rounded to the tensors' f32 as alpha_factor rounds its per-sample factors.
  return engine::add(engine::mul(x0, std::sqrt(a)), engine::mul(noise, std::sqrt(1.0 - a)));
}

Tensor DDIMScheduler::get_velocity(const Tensor& x0, const Tensor& noise, const Tensor& t) const {
  return engine::sub(engine::mul(noise, alpha_factor(t, false, x0)),
                     engine::mul(x0, alpha_factor(t, true, x0)));
}

Tensor DDIMScheduler::training_target(const Tensor& x0,
                                      const Tensor& noise,
                                      const Tensor& t) const {
  return config_.prediction_type == PredictionType::epsilon ? noise : get_velocity(x0, noise, t);
}

Tensor DDIMScheduler::predict_original(const Tensor& model_output,
                                       const Tensor& sample,
                                       const Tensor& t) const {
  ENGINE_CHECK(model_output.shape() == sample.shape(), "DDIMScheduler: model output ",
               model_output.str(), " does not match the sample ", sample.str());
  const Tensor sa = alpha_factor(t, false, sample), s1a = alpha_factor(t, true, sample);
  if (config_.prediction_type == PredictionType::epsilon)
    return engine::div(engine::sub(sample, engine::mul(model_output, s1a)), sa);
  return engine::sub(engine::mul(sample, sa), engine::mul(model_output, s1a));
}

Tensor DDIMScheduler::threshold(const Tensor& x0) const {
  // s = quantile(|x0|, ratio) per sample (linear interpolation), clamped to [1, sample_max_value];
  // x0 = clamp(x0, -s, s) / s.
  const std::int64_t n = x0.size(0), per = x0.numel() / n;
  // The quantiles are taken on the host (a cuda x0 is read back once per step).
  const std::vector<float> values = x0.to(engine::DType::f32).contiguous().to_vector<float>();
  std::vector<float> s(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<double> a(static_cast<std::size_t>(per));
    for (std::int64_t j = 0; j < per; ++j)
      a[static_cast<std::size_t>(j)] = std::abs(values[static_cast<std::size_t>(i * per + j)]);
    std::sort(a.begin(), a.end());
    const double pos = config_.dynamic_thresholding_ratio * static_cast<double>(per - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, a.size() - 1);
    const double q = a[lo] + (a[hi] - a[lo]) * (pos - static_cast<double>(lo));
    s[static_cast<std::size_t>(i)] =
        static_cast<float>(std::clamp(q, 1.0, config_.sample_max_value));
  }
  engine::Shape shape(static_cast<std::size_t>(x0.dim()), 1);
  shape[0] = n;
  const Tensor st = engine::from_vector(s, shape).to(x0.dtype()).to(x0.device());  // [N, 1, ...]
  return engine::div(engine::minimum(engine::maximum(x0, engine::neg(st)), st), st);
}

DDIMStepOutput DDIMScheduler::step(const Tensor& model_output,
                                   std::size_t index,
                                   const Tensor& sample,
                                   double eta,
                                   engine::Generator& gen) const {
  // Draws z only when the step is stochastic, so eta = 0 leaves the generator untouched.
  Tensor z;
  if (step_draws_noise(index, eta))  // drawn where the sample lives: Philox gives the same numbers
    z = engine::randn(sample.shape(), gen, {.dtype = sample.dtype(), .device = sample.device()});
  return step_with_noise(model_output, index, sample, eta, z);
}

bool DDIMScheduler::step_draws_noise(std::size_t index, double eta) const {
  const bool noisy = eta > 0 && index + 1 < timesteps_.size();
  const bool final_noisy = eta > 0 && index + 1 == timesteps_.size() && !config_.set_alpha_to_one;
  return noisy || final_noisy;
}

DDIMStepOutput DDIMScheduler::step_with_noise(const Tensor& model_output,
                                              std::size_t index,
                                              const Tensor& sample,
                                              double eta,
                                              const Tensor& variance_noise) const {
  ENGINE_CHECK(!timesteps_.empty(), "DDIMScheduler: call set_timesteps before step");
  ENGINE_CHECK(index < timesteps_.size(), "DDIMScheduler: step index ", index, " outside [0, ",
               timesteps_.size(), ")");
  ENGINE_CHECK(eta >= 0, "DDIMScheduler: eta must be >= 0, got ", eta);
  ENGINE_CHECK(model_output.shape() == sample.shape(), "DDIMScheduler: model output ",
               model_output.str(), " does not match the sample ", sample.str());
  const double a_t = alphas_cumprod_[static_cast<std::size_t>(timesteps_[index])];
  const double a_prev = index + 1 < timesteps_.size()
                            ? alphas_cumprod_[static_cast<std::size_t>(timesteps_[index + 1])]
                            : (config_.set_alpha_to_one ? 1.0 : alphas_cumprod_[0]);
  const double sa = std::sqrt(a_t), s1a = std::sqrt(1.0 - a_t);

  Tensor x0, eps;
  if (config_.prediction_type == PredictionType::epsilon) {
    x0 = engine::mul(engine::sub(sample, engine::mul(model_output, s1a)), 1.0 / sa);
    eps = model_output;
  } else {
    x0 = engine::sub(engine::mul(sample, sa), engine::mul(model_output, s1a));
    eps = engine::add(engine::mul(model_output, sa), engine::mul(sample, s1a));
  }
  if (config_.thresholding)
    x0 = threshold(x0);
  else if (config_.clip_sample)
    x0 = engine::clamp(x0, -config_.clip_sample_range, config_.clip_sample_range);
  if (config_.use_clipped_model_output)
    eps = engine::mul(engine::sub(sample, engine::mul(x0, sa)), 1.0 / s1a);

  const double sigma =
      eta * std::sqrt((1.0 - a_prev) / (1.0 - a_t)) * std::sqrt(1.0 - a_t / a_prev);
  const double dir = std::sqrt(std::max(1.0 - a_prev - sigma * sigma, 0.0));
  Tensor prev = engine::add(engine::mul(x0, std::sqrt(a_prev)), engine::mul(eps, dir));
  if (sigma > 0) {
    ENGINE_CHECK(variance_noise.defined() && variance_noise.shape() == sample.shape(),
                 "DDIMScheduler: eta > 0 needs variance noise shaped like the sample ",
                 sample.str());
    prev = engine::add(prev, engine::mul(variance_noise, sigma));
  }
  return {prev, x0};
}

Tensor classifier_free_guidance(const Tensor& batched_output, double guidance_scale) {
  ENGINE_CHECK(batched_output.dim() >= 1 && batched_output.size(0) % 2 == 0,
               "classifier_free_guidance: the batch must hold an unconditional and a conditional "
               "half, got ",
               batched_output.str());
  const std::int64_t n = batched_output.size(0) / 2;
  const Tensor uncond = batched_output.narrow(0, 0, n), cond = batched_output.narrow(0, n, n);
  return engine::add(uncond, engine::mul(engine::sub(cond, uncond), guidance_scale));
}

}  // namespace models
