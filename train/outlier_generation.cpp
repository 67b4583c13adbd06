// Outlier generation: image choice, per-object guided DDIM inpainting with a noised class
// embedding, paste-back, and the outputs (PNG images, COCO JSON, contact sheet).
#include "train/outlier_generation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "data/coco.h"
#include "data/image.h"
#include "engine/ops.h"
#include "engine/philox.h"
#include "models/inpaint_graph.h"
#include "train/crop_sheet.h"
#include "train/diffusion_training.h"
#include "train/object_crops.h"
#include "train/run_dir.h"

namespace fs = std::filesystem;

namespace train {

namespace {

// Generation crops take the middle of the training context range (1.5-2x).
constexpr double kContext = 1.75;
constexpr std::size_t kSheetPairs = 24;  // original | outlier pairs shown in the contact sheet
constexpr int kSheetColumns = 3;         // pairs per row
constexpr std::uint64_t kImageChoiceStream = 0x071e5;  // Philox stream of the image choice

struct CropPair {
  std::vector<float> original, outlier;  // [3, S, S] in [-1, 1]
};

// Pairs laid out kSheetColumns per row, each crop shown at twice its size.
data::Image contact_sheet(const std::vector<CropPair>& pairs, int size) {
  std::vector<const float*> crops;
  for (const CropPair& p : pairs) {
    crops.push_back(p.original.data());
    crops.push_back(p.outlier.data());
  }
  return crop_sheet(crops, size, 2 * kSheetColumns, 2);
}

bool is_candidate(const data::Object& o, double min_area) {
  return !o.ood && !o.iscrowd && o.label >= 0 && !o.box.degenerate() && o.box.area() > min_area;
}

// The first `count` of a seeded shuffle of the images that hold a candidate object.
std::vector<std::size_t> choose_images(const data::Dataset& d,
                                       double min_area,
                                       int count,
                                       std::uint64_t seed) {
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < d.images.size(); ++i)
    if (std::any_of(d.images[i].objects.begin(), d.images[i].objects.end(),
                    [&](const data::Object& o) { return is_candidate(o, min_area); }))
      candidates.push_back(i);
  engine::PhiloxStream r(seed, kImageChoiceStream);
  for (std::size_t i = candidates.size(); i > 1; --i)
    std::swap(candidates[i - 1],
              candidates[std::min(i - 1, static_cast<std::size_t>(r.uniform() * i))]);
  candidates.resize(std::min(candidates.size(), static_cast<std::size_t>(count)));
  return candidates;
}

std::int64_t next_image_id(const data::Dataset& d) {
  std::int64_t largest = 0;
  for (const auto& im : d.images)
    if (im.numeric_id) largest = std::max<std::int64_t>(largest, std::stoll(im.id));
  return largest + 1;
}

OutlierResult paths(const std::string& run_root) {
  OutlierResult r;
  r.folder = run_root + "/outliers";
  r.image_dir = r.folder + "/images";
  r.json = r.folder + "/outliers.json";
  r.contact_sheet = r.folder + "/contact_sheet.png";
  return r;
}

void read_back(OutlierResult& r) {
  data::Diagnostics diag;
  r.outliers = data::read_coco(r.json, r.image_dir, diag);
}

}  // namespace

engine::Tensor modified_class_embedding(models::UNet2DModel& unet,
                                        std::int64_t label,
                                        double noise_std,
                                        engine::Generator& gen) {
  const engine::Device device = unet.device();
  const engine::Tensor e = unet.class_embedding(engine::full(
      {1}, static_cast<double>(label), {.dtype = engine::DType::i64, .device = device}));
  return engine::add(e, engine::mul(engine::randn(e.shape(), gen, {.device = device}), noise_std));
}

OutlierResult generate_outliers(const Options& o,
                                const std::string& run_root,
                                const data::Dataset& train_set,
                                models::UNet2DModel& unet) {
  if (auto earlier = existing_outliers(run_root)) {
    std::printf("outliers: reusing %s (%zu images)\n", earlier->json.c_str(),
                earlier->outliers.images.size());
    return std::move(*earlier);
  }
  OutlierResult result = paths(run_root);
  const auto num_classes = static_cast<std::int64_t>(train_set.categories.size());
  if (unet.config().num_classes != num_classes)
    throw std::invalid_argument("outliers: the UNet knows " +
                                std::to_string(unet.config().num_classes) +
                                " classes, the training set has " + std::to_string(num_classes));
  fs::create_directories(result.image_dir);
  const int size = static_cast<int>(unet.config().sample_size);
  const std::size_t plane = static_cast<std::size_t>(size) * size;
  const models::InpaintOptions inpaint_options{
      .num_inference_steps = o.ddim_steps, .eta = 0.0, .guidance_scale = o.guidance};
  engine::Generator gen(o.seed + 21);
  const engine::Device device = unet.device();  // the crops go there, the outliers come back
  // Every object is a [1, 3, S, S] batch: on cuda one graph is captured and replayed per object.
  models::InpaintSampler sampler(unet, diffusion_scheduler_config(o), inpaint_options,
                                 o.cuda_graph == "on" && device.is_cuda());
  // The noise scale: std relative to the RMS of the class rows (the null row excluded).
  const double rms = std::sqrt(
      engine::mean(engine::square(unet.class_embedding(engine::arange(num_classes).to(device))))
          .item());

  const auto chosen = choose_images(train_set, o.outlier_min_area, o.outlier_images, o.seed);
  if (static_cast<int>(chosen.size()) < o.outlier_images)
    std::printf("outliers: only %zu training images hold an object larger than %g px^2\n",
                chosen.size(), o.outlier_min_area);
  data::Dataset out;
  out.categories = train_set.categories;
  out.image_root = result.image_dir;
  out.has_ood_field = true;
  std::int64_t id = next_image_id(train_set);
  std::vector<CropPair> sheet;
  std::size_t painted = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    const data::ImageRecord& source = train_set.images[chosen[k]];
    data::Image image = data::load_image(train_set.image_path(source));
    data::ImageRecord record = source;
    record.id = std::to_string(id++);
    record.numeric_id = true;
    record.file_name = fs::path(source.file_name).stem().string() + ".png";
    record.width = image.width;
    record.height = image.height;
    std::vector<std::size_t> order(record.objects.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return record.objects[a].box.area() > record.objects[b].box.area();
    });
    for (auto& object : record.objects) object.ood = false;
    for (std::size_t j : order) {
      data::Object& object = record.objects[j];
      if (!is_candidate(source.objects[j], o.outlier_min_area)) continue;
      const CropWindow window = crop_window(object.box, image.width, image.height, kContext);
      CropPair pair{std::vector<float>(3 * plane), {}};
      render_crop(image, window, size, false, pair.original.data());
      std::vector<float> mask(plane, 0.0f);
      const PixelRect m = box_in_crop(object.box, window, size);
      for (int y = m.y0; y < m.y1; ++y)
        for (int x = m.x0; x < m.x1; ++x) mask[y * size + x] = 1.0f;
      const engine::Tensor modified =
          modified_class_embedding(unet, object.label, o.outlier_std * rms, gen);  // [1, E]
      const engine::Tensor painted_crop = sampler.sample(
          engine::from_vector(pair.original, {1, 3, size, size}).to(device),
          engine::from_vector(mask, {1, 1, size, size}).to(device), modified, gen);  // [1, 3, S, S]
      pair.outlier = painted_crop.contiguous().to_vector<float>();
      paste_crop(image, object.box, window, pair.outlier.data(), size);
      object.ood = true;
      ++painted;
      if (sheet.size() < kSheetPairs) sheet.push_back(std::move(pair));
    }
    data::save_image(image, result.image_dir + "/" + record.file_name);
    out.images.push_back(std::move(record));
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\routliers: image %zu/%zu  %zu objects repainted  %.2f s/object  ETA %s  ", k + 1,
                chosen.size(), painted, elapsed / std::max<std::size_t>(painted, 1),
                format_duration(elapsed / static_cast<double>(k + 1) *
                                static_cast<double>(chosen.size() - k - 1))
                    .c_str());
    std::fflush(stdout);
  }
  std::printf("\n");
  data::save_image(contact_sheet(sheet, size), result.contact_sheet);
  data::write_coco(out, result.json + ".tmp");
  fs::rename(result.json + ".tmp", result.json);  // the JSON marks the stage as done
  read_back(result);
  std::printf("outliers: %zu images with %zu repainted objects in %s; contact sheet %s\n",
              result.outliers.images.size(), painted, result.folder.c_str(),
              result.contact_sheet.c_str());
  return result;
}

std::optional<OutlierResult> existing_outliers(const std::string& run_root) {
  OutlierResult result = paths(run_root);
  if (!fs::exists(result.json)) return std::nullopt;
  read_back(result);
  return result;
}

OutlierResult generate_outliers(const Options& o,
                                const std::string& run_root,
                                const data::Dataset& train_set,
                                engine::Device device) {
  if (auto earlier = existing_outliers(run_root)) return std::move(*earlier);
  const std::string checkpoint = run_root + "/diffusion/checkpoint_last.safetensors";
  if (!fs::exists(checkpoint))
    throw std::runtime_error("outliers: no diffusion model at " + checkpoint +
                             "; run the diffusion stage first (--stages diffusion,outliers)");
  const auto unet = load_diffusion_ema(
      o, checkpoint, static_cast<std::int64_t>(train_set.categories.size()), device);
  return generate_outliers(o, run_root, train_set, *unet);
}

}  // namespace train
