// Noise schedules, the DDPM forward process (q_sample, v target) and the DDIM step with diffusers'
// DDIMScheduler semantics: eta, leading/trailing/linspace spacing, clipping, dynamic thresholding.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/random.h"
#include "engine/tensor.h"

namespace models {

using engine::Tensor;

enum class BetaSchedule { linear, scaled_linear, squaredcos_cap_v2 };  // the last is "cosine"
enum class TimestepSpacing { leading, trailing, linspace };
enum class PredictionType { epsilon, v_prediction };

BetaSchedule beta_schedule_from_name(const std::string& name);  // also accepts "cosine"
TimestepSpacing timestep_spacing_from_name(const std::string& name);
PredictionType prediction_type_from_name(
    const std::string& name);  // "epsilon"/"eps", "v_prediction"/"v"

struct DDIMSchedulerConfig {
  std::int64_t num_train_timesteps = 1000;
  BetaSchedule beta_schedule = BetaSchedule::squaredcos_cap_v2;
  // linspace ends for linear / scaled_linear; unset = 1e-4..0.02 (linear), 0.00085..0.012 (SD)
  std::optional<double> beta_start, beta_end;
  PredictionType prediction_type = PredictionType::epsilon;
  bool clip_sample = true;
  double clip_sample_range = 1.0;
  bool thresholding = false;  // Imagen's dynamic thresholding (replaces clipping)
  double dynamic_thresholding_ratio = 0.995;
  double sample_max_value = 1.0;  // upper bound of the per-sample threshold s
  bool set_alpha_to_one = true;   // alpha_bar before step 0: 1, else alpha_bar[0]
  TimestepSpacing timestep_spacing = TimestepSpacing::trailing;
  std::int64_t steps_offset = 0;
  bool use_clipped_model_output = false;  // recompute eps from the clipped x0
};

struct DDIMStepOutput {
  Tensor prev_sample;           // x_{t_prev}, same shape as the sample
  Tensor pred_original_sample;  // x0 estimate after clipping / thresholding
};

class DDIMScheduler {
 public:
  explicit DDIMScheduler(const DDIMSchedulerConfig& config = {});

  const DDIMSchedulerConfig& config() const { return config_; }
  // alpha_bar_t for t in [0, T), computed in f64 from the betas.
  const std::vector<double>& alphas_cumprod() const { return alphas_cumprod_; }

  // Chooses n inference timesteps (descending) by the configured spacing.
  void set_timesteps(std::int64_t num_inference_steps);
  const std::vector<std::int64_t>& timesteps() const { return timesteps_; }

  // DDPM forward process, t i64 [N] per sample: sqrt(a_t) x0 + sqrt(1 - a_t) noise.
  Tensor add_noise(const Tensor& x0, const Tensor& noise, const Tensor& t) const;
  // The same with one timestep for the whole batch: the factors are scalars (nothing is copied
  // from the host, so a CUDA graph can hold it); the same values as add_noise.
  Tensor add_noise(const Tensor& x0, const Tensor& noise, std::int64_t t) const;
  // v = sqrt(a_t) noise - sqrt(1 - a_t) x0.
  Tensor get_velocity(const Tensor& x0, const Tensor& noise, const Tensor& t) const;
  // What the network learns to predict: noise (epsilon) or the velocity.
  Tensor training_target(const Tensor& x0, const Tensor& noise, const Tensor& t) const;
  // The x0 estimate of a model output for x_t at per-sample timesteps t i64 [N] (no clipping):
  // (x_t - sqrt(1 - a_t) eps) / sqrt(a_t), or sqrt(a_t) x_t - sqrt(1 - a_t) v.
  Tensor predict_original(const Tensor& model_output, const Tensor& sample, const Tensor& t) const;

  // One DDIM step from timesteps()[index] to the next entry (or to "before 0" at the end):
  //   x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t), clipped or thresholded,
  //   sigma = eta sqrt((1 - a_prev) / (1 - a_t)) sqrt(1 - a_t / a_prev),
  //   x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma^2) eps + sigma z.
  // z is drawn from `gen` (only when sigma > 0, see step_draws_noise), or given as variance_noise.
  DDIMStepOutput step(const Tensor& model_output,
                      std::size_t index,
                      const Tensor& sample,
                      double eta,
                      engine::Generator& gen) const;
  DDIMStepOutput step_with_noise(const Tensor& model_output,
                                 std::size_t index,
                                 const Tensor& sample,
                                 double eta,
                                 const Tensor& variance_noise) const;

  // Whether the step from timesteps()[index] adds sigma z (sigma > 0): eta > 0 and not the last
  // step, or the last one when set_alpha_to_one is off.
  bool step_draws_noise(std::size_t index, double eta) const;

 private:
  Tensor alpha_factor(const Tensor& t, bool noise_part, const Tensor& like) const;  // [N, 1, ...]
  Tensor threshold(const Tensor& x0) const;

  DDIMSchedulerConfig config_;
  std::vector<double> alphas_cumprod_;
  std::vector<std::int64_t> timesteps_;
};

// Classifier-free guidance: eps_u + scale (eps_c - eps_u) for a model output of the 2N batch
// [unconditional half; conditional half] -> [N, ...].
Tensor classifier_free_guidance(const Tensor& batched_output, double guidance_scale);

}  // namespace models
