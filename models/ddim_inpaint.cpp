// The inpainting training loss and the DDIM sampling loop with classifier-free guidance.
#include "models/ddim_inpaint.h"

#include <algorithm>

#include "engine/autograd.h"
#include "engine/ops.h"

namespace models {

namespace {

void check_image_and_mask(const Tensor& image, const Tensor& mask, const char* who) {
  ENGINE_CHECK(image.dim() == 4 && image.size(1) == 3, who, ": image must be [N, 3, H, W], got ",
               image.str());
  ENGINE_CHECK(mask.dim() == 4 && mask.size(0) == image.size(0) && mask.size(1) == 1 &&
                   mask.size(2) == image.size(2) && mask.size(3) == image.size(3),
               who, ": mask must be [N, 1, H, W] like the image ", image.str(), ", got ",
               mask.str());
}

}  // namespace

Tensor inpainting_input(const Tensor& x_t, const Tensor& mask, const Tensor& image) {
  const Tensor known = engine::mul(image, 1.0 - mask);  // [N, 3, H, W]
  return engine::cat({x_t, mask, known}, 1);            // [N, 7, H, W]
}

Tensor min_snr_weights(const DDIMScheduler& scheduler, const Tensor& timesteps, double gamma) {
  ENGINE_CHECK(gamma > 0, "min_snr_weights: gamma must be positive, got ", gamma);
  const bool v = scheduler.config().prediction_type == PredictionType::v_prediction;
  const auto& ac = scheduler.alphas_cumprod();
  std::vector<float> w;
  for (const std::int64_t t : timesteps.to(engine::DType::i64).to_vector<std::int64_t>()) {
    ENGINE_CHECK(t >= 0 && t < static_cast<std::int64_t>(ac.size()), "min_snr_weights: timestep ",
                 t, " outside [0, ", ac.size(), ")");
    const double a = ac[static_cast<std::size_t>(t)], snr = a / (1.0 - a);
    w.push_back(static_cast<float>(std::min(snr, gamma) / (v ? snr + 1.0 : snr)));
  }
  return engine::from_vector(w, {static_cast<std::int64_t>(w.size())});
}

Tensor diffusion_loss(UNet2DModel& unet,
                      const DDIMScheduler& scheduler,
                      const DiffusionLossInputs& in,
                      engine::Generator& gen,
                      double min_snr_gamma) {
  check_image_and_mask(in.image, in.mask, "diffusion_loss");
  const std::int64_t n = in.image.size(0);
  const engine::Device device = in.image.device();  // draws happen there (same Philox numbers)
  const Tensor t = in.timesteps.defined()
                       ? in.timesteps
                       : engine::randint(0, scheduler.config().num_train_timesteps, {n}, gen,
                                         {.dtype = engine::DType::i64, .device = device});
  const Tensor noise =
      in.noise.defined() ? in.noise : engine::randn(in.image.shape(), gen, {.device = device});
  const Tensor x_t = scheduler.add_noise(in.image, noise, t);
  const Tensor out = unet.forward(inpainting_input(x_t, in.mask, in.image), t, in.class_labels);
  const Tensor err =
      engine::square(engine::sub(out, scheduler.training_target(in.image, noise, t)));
  if (min_snr_gamma <= 0) return engine::mean(err);
  const Tensor per_sample = engine::mean(err, {1, 2, 3});  // [N]
  return engine::mean(
      engine::mul(per_sample, min_snr_weights(scheduler, t, min_snr_gamma).to(err.device())));
}

namespace {

void check_inpaint_inputs(const Tensor& null_emb,
                          const Tensor& image,
                          const Tensor& mask,
                          const Tensor& class_emb,
                          const InpaintOptions& options) {
  check_image_and_mask(image, mask, "inpaint");
  ENGINE_CHECK(options.num_inference_steps > 0,
               "inpaint: num_inference_steps must be positive, got ", options.num_inference_steps);
  ENGINE_CHECK(options.guidance_scale >= 0, "inpaint: guidance_scale must be >= 0, got ",
               options.guidance_scale);
  ENGINE_CHECK(options.eta >= 0, "inpaint: eta must be >= 0, got ", options.eta);
  const std::int64_t n = image.size(0);
  ENGINE_CHECK(class_emb.dim() == 2 && class_emb.size(0) == n, "inpaint: class_emb must be [", n,
               ", E], got ", class_emb.str());
  if (options.guidance_scale > 1.0)
    ENGINE_CHECK(null_emb.defined() && null_emb.dim() == 2 && null_emb.size(0) == 1 &&
                     null_emb.size(1) == class_emb.size(1),
                 "inpaint: guidance needs a null embedding [1, ", class_emb.size(1), "]");
}

}  // namespace

Tensor inpaint_loop(const NoisePredictor& model,
                    const Tensor& null_emb,
                    DDIMScheduler& scheduler,
                    const Tensor& x_T,
                    const Tensor& image,
                    const Tensor& mask,
                    const Tensor& class_emb,
                    const InpaintOptions& options,
                    const std::function<Tensor()>& next_noise) {
  check_inpaint_inputs(null_emb, image, mask, class_emb, options);
  ENGINE_CHECK(x_T.shape() == image.shape(), "inpaint_loop: x_T ", x_T.str(),
               " must be shaped like the image ", image.str());
  const std::int64_t n = image.size(0);
  const bool guided = options.guidance_scale > 1.0;
  const Tensor keep = 1.0 - mask;  // 1 on the known pixels
  Tensor emb = class_emb;
  if (guided) {
    const Tensor null = null_emb.to(class_emb.device()).expand({n, class_emb.size(1)});
    emb = engine::cat({null, class_emb}, 0);  // [2N, E]
  }
  scheduler.set_timesteps(options.num_inference_steps);
  const auto& ts = scheduler.timesteps();
  // The mask and known-pixel channels of the model input are the same every step (both halves
  // of a guided batch hold them): inpainting_input(x, mask, image), its constant part hoisted.
  const std::int64_t batch = guided ? 2 * n : n;
  const auto twice = [guided](const Tensor& t) { return guided ? engine::cat({t, t}, 0) : t; };
  const Tensor mask_b = twice(mask), known_b = twice(engine::mul(image, keep));  // [B, ., H, W]
  Tensor x = x_T;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const Tensor input = engine::cat({twice(x), mask_b, known_b}, 1);  // [B, 7, H, W]
    const Tensor t = engine::full({batch}, static_cast<double>(ts[i]),
                                  {.dtype = engine::DType::i64, .device = image.device()});
    Tensor out = model(input, t, emb);
    if (guided) out = classifier_free_guidance(out, options.guidance_scale);
    const Tensor z = scheduler.step_draws_noise(i, options.eta) ? next_noise() : Tensor();
    x = scheduler.step_with_noise(out, i, x, options.eta, z).prev_sample;
    if (options.replace_known && i + 1 < ts.size()) {
      const Tensor noise = next_noise();
      x = engine::add(engine::mul(x, mask),
                      engine::mul(scheduler.add_noise(image, noise, ts[i + 1]), keep));
    }
  }
  return engine::add(engine::mul(x, mask), engine::mul(image, keep));
}

std::size_t inpaint_noise_draws(DDIMScheduler& scheduler, const InpaintOptions& options) {
  scheduler.set_timesteps(options.num_inference_steps);
  const std::size_t steps = scheduler.timesteps().size();
  std::size_t draws = 0;
  for (std::size_t i = 0; i < steps; ++i)
    draws += (scheduler.step_draws_noise(i, options.eta) ? 1 : 0) +
             (options.replace_known && i + 1 < steps ? 1 : 0);
  return draws;
}

Tensor inpaint(const NoisePredictor& model,
               const Tensor& null_emb,
               DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options,
               engine::Generator& gen) {
  check_inpaint_inputs(null_emb, image, mask, class_emb, options);
  const engine::TensorOptions like{.dtype = image.dtype(), .device = image.device()};
  const Tensor x_T = engine::randn(image.shape(), gen, like);
  return inpaint_loop(model, null_emb, scheduler, x_T, image, mask, class_emb, options,
                      [&] { return engine::randn(image.shape(), gen, like); });
}

NoisePredictor noise_predictor(UNet2DModel& unet) {
  return [&unet](const Tensor& input, const Tensor& t, const Tensor& emb) {
    return unet.forward_embedded(input, t, emb);
  };
}

Tensor null_embedding(UNet2DModel& unet) {
  return unet.class_embedding(
      engine::full({1}, static_cast<double>(unet.config().null_class()),
                   {.dtype = engine::DType::i64, .device = unet.device()}));  // [1, E]
}

Tensor inpaint(UNet2DModel& unet,
               DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options,
               engine::Generator& gen) {
  engine::autograd::NoGradGuard no_grad;
  EvalGuard eval(unet);
  return inpaint(noise_predictor(unet), null_embedding(unet), scheduler, image, mask, class_emb,
                 options, gen);
}

}  // namespace models
