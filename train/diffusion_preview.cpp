// The preview grid of the diffusion stage: x0 estimates through the scheduler's own formulas
// and samples through the same inpainting loop that outlier generation uses.
#include "train/diffusion_preview.h"

#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/ddim_inpaint.h"
#include "train/crop_sheet.h"

namespace train {

namespace {

constexpr std::int64_t kPreviewTimesteps[] = {100, 500, 900};
constexpr double kPreviewGuidance[] = {1.0, 3.0};

}  // namespace

CropBatch preview_crops(const data::Dataset& train_set, int size, int count, std::uint64_t seed) {
  const ObjectCropSet set(train_set,
                          {.size = size,
                           .random_mask_probability = 0,
                           .full_mask_probability = 0,
                           .null_class_probability = 0,
                           .flip_probability = 0},
                          seed);
  return set.batch(0, count);
}

void write_diffusion_preview(models::UNet2DModel& unet,
                             const models::DDIMSchedulerConfig& scheduler_config,
                             const CropBatch& crops,
                             int ddim_steps,
                             std::uint64_t seed,
                             const std::string& path) {
  const bool was_training = unet.is_training();
  unet.eval();
  engine::autograd::NoGradGuard no_grad;
  models::DDIMScheduler scheduler(scheduler_config);
  engine::Generator gen(seed);
  const engine::Device device = unet.device();
  const CropBatch on_device = crops.to(device);
  const engine::Tensor& image = on_device.image;  // [N, 3, S, S]
  const std::int64_t n = image.size(0), size = image.size(2);
  std::vector<engine::Tensor> columns{image, engine::mul(image, 1.0 - on_device.mask)};
  for (const std::int64_t t : kPreviewTimesteps) {
    const engine::Tensor ts =
        engine::full({n}, static_cast<double>(t), {.dtype = engine::DType::i64, .device = device});
    const engine::Tensor x_t =
        scheduler.add_noise(image, engine::randn(image.shape(), gen, {.device = device}), ts);
    const engine::Tensor out =
        unet.forward(models::inpainting_input(x_t, on_device.mask, image), ts, on_device.labels);
    columns.push_back(engine::clamp(scheduler.predict_original(out, x_t, ts), -1.0, 1.0));
  }
  const engine::Tensor emb = unet.class_embedding(on_device.labels);  // [N, E]
  for (const double guidance : kPreviewGuidance)
    columns.push_back(
        models::inpaint(unet, scheduler, image, on_device.mask, emb,
                        {.num_inference_steps = ddim_steps, .guidance_scale = guidance}, gen));
  unet.train(was_training);

  std::vector<std::vector<float>> values;  // column-major: values[c] = [N, 3, S, S]
  for (const engine::Tensor& c : columns)  // read back from the device
    values.push_back(c.contiguous().to_vector<float>());
  const std::size_t per_crop = static_cast<std::size_t>(3 * size * size);
  std::vector<const float*> grid;
  for (std::int64_t i = 0; i < n; ++i)
    for (const auto& c : values) grid.push_back(c.data() + static_cast<std::size_t>(i) * per_crop);
  const int width = static_cast<int>(columns.size());
  data::save_image(crop_sheet(grid, static_cast<int>(size), width, width), path);
}

}  // namespace train
