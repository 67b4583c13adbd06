// The diffusion training loop. Step k trains on crops k*B .. k*B+B-1 of the seeded crop stream,
// with timesteps and noise from a Philox generator whose offset the checkpoint keeps.
#include "train/diffusion_training.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <tuple>

#include "engine/ops.h"
#include "engine/optim/ema.h"
#include "engine/optim/schedule.h"
#include "models/ddim_inpaint.h"
#include "train/diffusion_preview.h"
#include "train/object_crops.h"
#include "train/run_dir.h"

namespace train {

models::UNetConfig diffusion_unet_config(const Options& o, std::int64_t num_classes) {
  models::UNetConfig c = models::UNetConfig::preset(o.unet);
  if (o.diffusion_size > 0) c.sample_size = o.diffusion_size;
  c.num_classes = num_classes;
  return c;
}

models::DDIMSchedulerConfig diffusion_scheduler_config(const Options& o) {
  models::DDIMSchedulerConfig c;
  c.beta_schedule = models::beta_schedule_from_name(
      o.beta_schedule == "scaled-linear" ? "scaled_linear" : o.beta_schedule);
  c.prediction_type = models::prediction_type_from_name(o.prediction);
  return c;
}

DiffusionModels::DiffusionModels(const models::UNetConfig& config, engine::Generator& gen)
    : unet(std::make_shared<models::UNet2DModel>(config, gen)),
      ema(std::make_shared<models::UNet2DModel>(config, gen)) {
  register_module("unet", unet);
  register_module("ema", ema);
  ema->load_state_dict(unet->state_dict());
  for (auto& p : ema->parameters()) p.requires_grad_(false);
}

namespace {

// Linear warmup length: fixed, so that a run extended with more --diffusion-steps continues on
// the same learning rates.
constexpr std::int64_t kWarmupSteps = 50;
constexpr int kPreviewCrops = 8;  // rows of diffusion/preview.png

nlohmann::json stage_info(const Options& o,
                          const models::UNetConfig& c,
                          const models::UNet2DModel& unet) {
  return {{"stage", "diffusion"},
          {"unet", o.unet},
          {"sample_size", c.sample_size},
          {"num_classes", c.num_classes},
          {"parameters", models::count_parameters(unet)},
          {"steps", o.diffusion_steps},
          {"batch_size", o.diffusion_batch_size},
          {"lr", o.diffusion_lr},
          {"ema_decay", o.ema_decay},
          {"grad_clip", o.grad_clip},
          {"beta_schedule", o.beta_schedule},
          {"prediction", o.prediction},
          {"min_snr_gamma", o.min_snr_gamma},
          {"seed", o.seed}};
}

// A model must be sampled (and resumed) with the target and noise schedule it was trained with;
// `info` is the stage's config.json / checkpoint info (runs from before --prediction trained eps).
void check_trained_like(const nlohmann::json& info, const Options& o, const std::string& where) {
  const auto trained = [&](const char* key, const char* old_default) {
    return info.is_object() && info.contains(key) && info[key].is_string()
               ? info[key].get<std::string>()
               : std::string(old_default);
  };
  for (const auto& [key, flag, value, old_default] :
       {std::tuple{"prediction", "--prediction", o.prediction, "eps"},
        std::tuple{"beta_schedule", "--beta-schedule", o.beta_schedule, "cosine"}})
    if (trained(key, old_default) != value)
      throw std::runtime_error("the diffusion model in '" + where + "' was trained with " + flag +
                               " " + trained(key, old_default) + ", not " + value + "; pass " +
                               flag + " " + trained(key, old_default) +
                               " (or use another --run-dir)");
}

}  // namespace

DiffusionResult train_diffusion(const Options& o,
                                const std::string& run_root,
                                const data::Dataset& train_set,
                                engine::Device device) {
  RunDirectory run(run_root + "/diffusion");
  const models::UNetConfig config =
      diffusion_unet_config(o, static_cast<std::int64_t>(train_set.categories.size()));
  engine::Generator init(o.seed + 11);
  DiffusionModels models(config, init);  // initialised on the CPU, the same on every device
  models.to(device);
  const models::DDIMScheduler scheduler(diffusion_scheduler_config(o));
  const ObjectCropSet crops(train_set, {.size = static_cast<int>(config.sample_size)}, o.seed);
  const nlohmann::json info = stage_info(o, config, *models.unet);
  if (run.has_checkpoint()) {
    std::ifstream earlier(run.file("config.json"));
    const nlohmann::json before = nlohmann::json::parse(earlier, nullptr, false);
    check_trained_like(before.is_discarded() ? nlohmann::json() : before, o, run.path());
  }
  run.write_json("config.json", info);

  std::vector<engine::Tensor> params = models.unet->parameters();
  engine::optim::AdamW adamw(params, {.lr = o.diffusion_lr, .weight_decay = 0.01});
  const std::int64_t total = o.diffusion_steps;
  const engine::optim::LinearWarmup schedule(kWarmupSteps, 0.01,
                                             std::make_shared<engine::optim::ConstantSchedule>());
  engine::Generator noise(o.seed + 12);  // timesteps and noise of the loss

  TrainingState state;
  if (run.has_checkpoint()) {
    state = run.load_checkpoint(models, &adamw);
    noise.set_offset(state.generator_offset);
    std::printf("diffusion: continuing from %s at step %lld\n", run.checkpoint_path().c_str(),
                static_cast<long long>(state.step));
  }
  DiffusionResult result{run.path(), run.checkpoint_path(), state.step,
                         std::numeric_limits<double>::quiet_NaN()};
  if (state.step >= total) return result;

  std::printf("diffusion: %s UNet (%lld parameters, %lld px) on %zu objects, %lld steps of %d\n",
              o.unet.c_str(), static_cast<long long>(info["parameters"].get<std::int64_t>()),
              static_cast<long long>(config.sample_size), crops.num_objects(),
              static_cast<long long>(total), o.diffusion_batch_size);
  models.unet->train();
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t first_step = state.step;
  double smoothed = 0;
  while (state.step < total) {
    const CropBatch batch =
        crops
            .batch(static_cast<std::uint64_t>(state.step) * o.diffusion_batch_size,
                   o.diffusion_batch_size)
            .to(device);
    schedule.apply(adamw, state.step);
    adamw.zero_grad();
    const engine::Tensor loss_tensor = models::diffusion_loss(
        *models.unet, scheduler, {batch.image, batch.mask, batch.labels, {}, {}}, noise,
        o.min_snr_gamma);
    const double loss = loss_tensor.item();
    if (!std::isfinite(loss))
      throw std::runtime_error(
          "diffusion loss is " + std::to_string(loss) + " at step " + std::to_string(state.step) +
          "; last good checkpoint: " +
          (run.has_checkpoint() ? run.checkpoint_path() : std::string("none")) +
          " (try a lower --diffusion-lr or --grad-clip)");
    loss_tensor.backward();
    const double grad_norm =
        o.grad_clip > 0 ? engine::optim::clip_grad_norm_(params, o.grad_clip) : 0.0;
    adamw.step();
    engine::optim::ema_update(*models.ema, *models.unet, o.ema_decay, state.step);
    ++state.step;
    state.generator_offset = noise.offset();
    result.last_loss = loss;

    smoothed = state.step == first_step + 1 ? loss : 0.95 * smoothed + 0.05 * loss;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>((state.step - first_step) * o.diffusion_batch_size) /
                        std::max(elapsed, 1e-9);
    const double lr = adamw.param_groups()[0].lr;
    run.log({{"step", state.step},
             {"loss", loss},
             {"grad_norm", grad_norm},
             {"lr", lr},
             {"samples_per_second", rate}});
    std::printf(
        "\rdiffusion step %lld/%lld  loss %.4f (avg %.4f)  lr %.2e  %.1f samples/s  ETA %s  ",
        static_cast<long long>(state.step), static_cast<long long>(total), loss, smoothed, lr, rate,
        format_duration(static_cast<double>((total - state.step) * o.diffusion_batch_size) /
                        std::max(rate, 1e-9))
            .c_str());
    std::fflush(stdout);
    if (state.step % o.checkpoint_every == 0 || state.step == total)
      run.save_checkpoint(models, adamw, state, info);
  }
  std::printf("\n");
  result.steps = state.step;
  const std::string preview = run.path() + "/preview.png";
  write_diffusion_preview(
      *models.ema, diffusion_scheduler_config(o),
      preview_crops(train_set, static_cast<int>(config.sample_size), kPreviewCrops, o.seed + 13),
      o.ddim_steps, o.seed + 14, preview);
  std::printf("diffusion: preview of the EMA model (x0 estimates, samples) in %s\n",
              preview.c_str());
  return result;
}

std::shared_ptr<models::UNet2DModel> load_diffusion_ema(const Options& o,
                                                        const std::string& checkpoint,
                                                        std::int64_t num_classes,
                                                        engine::Device device) {
  engine::Generator init(0);
  DiffusionModels models(diffusion_unet_config(o, num_classes), init);
  models.to(device);
  nlohmann::json info;
  try {
    info = load_model_weights(checkpoint, models);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot load the diffusion model from '" + checkpoint +
                             "' (was it trained with other --unet / --diffusion-size flags or "
                             "another data set?): " +
                             e.what());
  }
  check_trained_like(info, o, checkpoint);
  return models.ema;
}

}  // namespace train
