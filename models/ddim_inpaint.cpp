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

// Puts a module in eval mode for a scope and restores its previous mode.
class EvalGuard {
 public:
  explicit EvalGuard(engine::nn::Module& m) : module_(m), was_training_(m.is_training()) {
    module_.eval();
  }
  ~EvalGuard() { module_.train(was_training_); }
  EvalGuard(const EvalGuard&) = delete;
  EvalGuard& operator=(const EvalGuard&) = delete;

 private:
  engine::nn::Module& module_;
  bool was_training_;
};

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

Tensor inpaint(const NoisePredictor& model,
               const Tensor& null_emb,
               DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options,
               engine::Generator& gen) {
  check_image_and_mask(image, mask, "inpaint");
  ENGINE_CHECK(options.num_inference_steps > 0,
               "inpaint: num_inference_steps must be positive, "
               "got ",
               options.num_inference_steps);
  ENGINE_CHECK(options.guidance_scale >= 0, "inpaint: guidance_scale must be >= 0, got ",
               options.guidance_scale);
  ENGINE_CHECK(options.eta >= 0, "inpaint: eta must be >= 0, got ", options.eta);
  const std::int64_t n = image.size(0);
  ENGINE_CHECK(class_emb.dim() == 2 && class_emb.size(0) == n, "inpaint: class_emb must be [", n,
               ", E], got ", class_emb.str());
  const bool guided = options.guidance_scale > 1.0;
  const Tensor keep = 1.0 - mask;  // 1 on the known pixels
  Tensor emb = class_emb;
  if (guided) {
    ENGINE_CHECK(null_emb.defined() && null_emb.dim() == 2 && null_emb.size(0) == 1 &&
                     null_emb.size(1) == class_emb.size(1),
                 "inpaint: guidance needs a null embedding [1, ", class_emb.size(1), "]");
    const Tensor null = null_emb.to(class_emb.device()).expand({n, class_emb.size(1)});
    emb = engine::cat({null, class_emb}, 0);  // [2N, E]
  }
  scheduler.set_timesteps(options.num_inference_steps);
  const auto& ts = scheduler.timesteps();
  Tensor x = engine::randn(image.shape(), gen, {.dtype = image.dtype(), .device = image.device()});
  // The mask and known-pixel channels of the model input are the same every step (both halves
  // of a guided batch hold them): inpainting_input(x, mask, image), its constant part hoisted.
  const std::int64_t batch = guided ? 2 * n : n;
  const auto twice = [guided](const Tensor& t) { return guided ? engine::cat({t, t}, 0) : t; };
  const Tensor mask_b = twice(mask), known_b = twice(engine::mul(image, keep));  // [B, ., H, W]
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const Tensor input = engine::cat({twice(x), mask_b, known_b}, 1);  // [B, 7, H, W]
    const Tensor t = engine::full({batch}, static_cast<double>(ts[i]),
                                  {.dtype = engine::DType::i64, .device = image.device()});
    Tensor out = model(input, t, emb);
    if (guided) out = classifier_free_guidance(out, options.guidance_scale);
    x = scheduler.step(out, i, x, options.eta, gen).prev_sample;
    if (options.replace_known && i + 1 < ts.size()) {
      const Tensor t_prev =
          engine::full({n}, static_cast<double>(ts[i + 1]), {.dtype = engine::DType::i64});
      const Tensor noise =
          engine::randn(image.shape(), gen, {.dtype = image.dtype(), .device = image.device()});
      x = engine::add(engine::mul(x, mask),
                      engine::mul(scheduler.add_noise(image, noise, t_prev), keep));
    }
  }
  return engine::add(engine::mul(x, mask), engine::mul(image, keep));
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
  const Tensor null = unet.class_embedding(
      engine::full({1}, static_cast<double>(unet.config().null_class()),
                   {.dtype = engine::DType::i64, .device = unet.device()}));  // [1, E]
  const NoisePredictor model = [&unet](const Tensor& input, const Tensor& t, const Tensor& emb) {
    return unet.forward_embedded(input, t, emb);
  };
  return inpaint(model, null, scheduler, image, mask, class_emb, options, gen);
}

}  // namespace models
