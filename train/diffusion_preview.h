// A picture of what the diffusion model has learned (diffusion/preview.png): one-step x0
// estimates at low, middle and high noise and full DDIM inpaintings of fixed training crops.
#pragma once

#include <cstdint>
#include <string>

#include "models/ddim.h"
#include "models/unet.h"
#include "train/object_crops.h"

namespace train {

// One row per crop: original | the crop with its box greyed (what the model is given) |
// x0 estimates from x_t at t = 100, 500 and 900 (one UNet call each, clipped to [-1, 1]) |
// DDIM inpainting of the box with the crop's class (ddim_steps, eta 0) at guidance 1 and at
// guidance 3. Noise comes from a generator seeded with `seed`; the UNet's mode is restored.
void write_diffusion_preview(models::UNet2DModel& unet,
                             const models::DDIMSchedulerConfig& scheduler_config,
                             const CropBatch& crops,
                             int ddim_steps,
                             std::uint64_t seed,
                             const std::string& path);

// The crops of the preview: `count` box-masked, unflipped crops of labelled objects.
CropBatch preview_crops(const data::Dataset& train_set, int size, int count, std::uint64_t seed);

}  // namespace train
