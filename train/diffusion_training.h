// The diffusion training stage of train_dreambox: the class-conditional inpainting UNet learns the
// in-distribution objects (AdamW, EMA, clipping, checkpoints + exact resume in <run>/diffusion/).
#pragma once

#include <memory>
#include <string>

#include "data/dataset.h"
#include "models/ddim.h"
#include "models/unet.h"
#include "train/options.h"

namespace train {

// The UNet of the stage (preset from --unet, resolution from --diffusion-size) for a data set
// with num_classes classes (the table gets one more row: null).
models::UNetConfig diffusion_unet_config(const Options& options, std::int64_t num_classes);
// T = 1000, --beta-schedule, epsilon prediction, trailing spacing, x0 clipping.
models::DDIMSchedulerConfig diffusion_scheduler_config(const Options& options);

// What a diffusion checkpoint holds: the trained UNet ("unet.*") and its EMA copy ("ema.*").
class DiffusionModels : public engine::nn::Module {
 public:
  DiffusionModels(const models::UNetConfig& config, engine::Generator& gen);
  std::shared_ptr<models::UNet2DModel> unet, ema;
};

struct DiffusionResult {
  std::string folder;      // <run>/diffusion
  std::string checkpoint;  // <run>/diffusion/checkpoint_last.safetensors
  std::int64_t steps = 0;  // optimizer steps done in total
  double last_loss = 0;    // loss of the last step run now (NaN when none ran)
};

// Trains for --diffusion-steps on `device`, continuing from <run_root>/diffusion's checkpoint
// when there is one (a finished stage returns at once; checkpoints hold CPU tensors, so a run
// may continue on another device). Logs every step to diffusion/log.jsonl. A non-finite loss
// stops with an error naming the step and the last good checkpoint.
DiffusionResult train_diffusion(const Options& options,
                                const std::string& run_root,
                                const data::Dataset& train_set,
                                engine::Device device = engine::Device::cpu());

// The EMA UNet of a diffusion checkpoint on `device`, built from the options that trained it.
std::shared_ptr<models::UNet2DModel> load_diffusion_ema(
    const Options& options,
    const std::string& checkpoint,
    std::int64_t num_classes,
    engine::Device device = engine::Device::cpu());

}  // namespace train
