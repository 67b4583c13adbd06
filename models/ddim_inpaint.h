// Inpainting with the UNet and the DDIM scheduler: the 7-channel model input, the diffusion
// training loss, and the guided sampling loop that keeps the known pixels.
#pragma once

#include <functional>

#include "models/ddim.h"
#include "models/unet.h"

namespace models {

// cat([x_t, mask, image * (1 - mask)], 1): x_t [N, 3, H, W], mask [N, 1, H, W] (1 = repaint),
// image [N, 3, H, W] -> [N, 7, H, W]
Tensor inpainting_input(const Tensor& x_t, const Tensor& mask, const Tensor& image);

// The epsilon (or v) MSE over the whole crop for one batch: t ~ U{0..T-1} and noise N(0, I)
// drawn from `gen` unless given. image [N, 3, H, W] in [-1, 1], labels i64 [N] (null allowed).
// With min_snr_gamma > 0 each sample's MSE is weighted by min(SNR_t, gamma) / SNR_t (eps) or
// min(SNR_t, gamma) / (SNR_t + 1) (v), SNR_t = a_t / (1 - a_t) (Min-SNR, Hang et al. 2023):
// the easy low-noise steps stop dominating the loss.
struct DiffusionLossInputs {
  Tensor image, mask, class_labels;
  Tensor timesteps, noise;  // optional: fixed instead of drawn
};
Tensor diffusion_loss(UNet2DModel& unet,
                      const DDIMScheduler& scheduler,
                      const DiffusionLossInputs& inputs,
                      engine::Generator& gen,
                      double min_snr_gamma = 0);
// The Min-SNR weights above for timesteps i64 [N] -> f32 [N].
Tensor min_snr_weights(const DDIMScheduler& scheduler, const Tensor& timesteps, double gamma);

struct InpaintOptions {
  std::int64_t num_inference_steps = 50;
  double eta = 0.0;
  double guidance_scale = 1.0;  // > 1: classifier-free guidance, both halves in one batch
  bool replace_known = false;   // also overwrite the known region with noised pixels each step
};

// What the sampling loop asks of the network: model input [B, 7, H, W], timesteps i64 [B] and
// class embeddings [B, E] -> prediction (eps or v) [B, 3, H, W].
using NoisePredictor =
    std::function<Tensor(const Tensor& input, const Tensor& timesteps, const Tensor& class_emb)>;

// DDIM inpainting: x_T ~ N(0, I) from `gen`, then for each timestep the model sees
// inpainting_input(x_t, mask, image); with guidance (scale > 1) the batch is
// [null_emb rows; class_emb] and the outputs combine as eps_u + s (eps_c - eps_u). The known
// pixels (mask = 0) of the result are the image's own. image [N, 3, H, W] in [-1, 1],
// mask [N, 1, H, W], class_emb [N, E], null_emb [1, E] (used only with guidance) -> [N, 3, H, W].
Tensor inpaint(const NoisePredictor& model,
               const Tensor& null_emb,
               DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options,
               engine::Generator& gen);

// The loop of inpaint after x_T ~ N(0, I): x_T and the inputs as above; next_noise gives each
// further N(0, I) draw shaped like the image, in the loop's order (a step's variance noise when
// eta > 0, then with replace_known the re-noised known region), where inpaint draws from `gen`.
// Everything it queues is device work (a CUDA graph can hold it).
// inpaint_noise_draws says how often it calls next_noise (after nothing but set_timesteps).
Tensor inpaint_loop(const NoisePredictor& model,
                    const Tensor& null_emb,
                    DDIMScheduler& scheduler,
                    const Tensor& x_T,
                    const Tensor& image,
                    const Tensor& mask,
                    const Tensor& class_emb,
                    const InpaintOptions& options,
                    const std::function<Tensor()>& next_noise);

std::size_t inpaint_noise_draws(DDIMScheduler& scheduler, const InpaintOptions& options);

// The same with the UNet, whose null row gives the unconditional half; class_emb holds rows of
// the class table or Dream-Box's modified embeddings. Runs without autograd and with the UNet in
// eval mode (restored afterwards).
Tensor inpaint(UNet2DModel& unet,
               DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options,
               engine::Generator& gen);

// The UNet's prediction for the sampling loop (forward_embedded) and its null-class embedding
// [1, E] on its device (the unconditional half of guidance).
NoisePredictor noise_predictor(UNet2DModel& unet);
Tensor null_embedding(UNet2DModel& unet);

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

}  // namespace models
