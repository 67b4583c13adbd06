// Inpainting with the UNet and the DDIM scheduler: the 7-channel model input, the diffusion
// training loss, and the guided sampling loop that keeps the known pixels.
#pragma once

#include "models/ddim.h"
#include "models/unet.h"

namespace models {

// cat([x_t, mask, image * (1 - mask)], 1): x_t [N, 3, H, W], mask [N, 1, H, W] (1 = repaint),
// image [N, 3, H, W] -> [N, 7, H, W]
Tensor inpainting_input(const Tensor& x_t, const Tensor& mask, const Tensor& image);

// The epsilon (or v) MSE over the whole crop for one batch: t ~ U{0..T-1} and noise N(0, I)
// drawn from `gen` unless given. image [N, 3, H, W] in [-1, 1], labels i64 [N] (null allowed).
struct DiffusionLossInputs {
  Tensor image, mask, class_labels;
  Tensor timesteps, noise;  // optional: fixed instead of drawn
};
Tensor diffusion_loss(UNet2DModel& unet,
                      const DDIMScheduler& scheduler,
                      const DiffusionLossInputs& inputs,
                      engine::Generator& gen);

struct InpaintOptions {
  std::int64_t num_inference_steps = 50;
  double eta = 0.0;
  double guidance_scale = 1.0;  // > 1: classifier-free guidance, both halves in one batch
  bool replace_known = false;   // also overwrite the known region with noised pixels each step
};

// DDIM inpainting: x_T ~ N(0, I) from `gen`, then for each timestep the UNet sees
// inpainting_input(x_t, mask, image); with guidance the batch is [null rows; class_emb] and the
// outputs combine as eps_u + s (eps_c - eps_u). The known pixels (mask = 0) of the result are
// the image's own. image [N, 3, H, W] in [-1, 1], mask [N, 1, H, W], class_emb [N, E]
// (rows of the class table, or Dream-Box's modified embeddings) -> [N, 3, H, W].
// Runs without autograd and with the UNet in eval mode (restored afterwards).
Tensor inpaint(UNet2DModel& unet,
               DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options,
               engine::Generator& gen);

}  // namespace models
