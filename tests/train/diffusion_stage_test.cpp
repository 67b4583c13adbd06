// The diffusion stages of train_dreambox on a tiny generated shapes set: their flags (bad values
// give clear errors), training reduces the loss, and an interrupted run resumes exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "data/coco.h"
#include "engine/io/safetensors.h"
#include "tests/train/parse_flags.h"
#include "tests/train/tiny_shapes.h"
#include "train/diffusion_training.h"
#include "train/options.h"
#include "train/outlier_generation.h"

namespace fs = std::filesystem;

namespace {

using train_test::error_of;
using train_test::logged_losses;
using train_test::parse;

}  // namespace

TEST(DiffusionOptions, DefaultsAndBadValues) {
  const auto shapes = parse({"shapes"});
  EXPECT_EQ(shapes.unet, "cpu-demo");
  EXPECT_DOUBLE_EQ(shapes.guidance, 12);
  const auto voc = parse({"voc"});
  EXPECT_EQ(voc.unet, "gpu-base");
  EXPECT_DOUBLE_EQ(voc.outlier_min_area, 2000);
  const auto o = parse({"shapes", "--outlier-std", "0.5", "--guidance", "3", "--ddim-steps", "10",
                        "--diffusion-size", "16", "--beta-schedule", "scaled-linear"});
  EXPECT_DOUBLE_EQ(o.outlier_std, 0.5);
  EXPECT_EQ(o.ddim_steps, 10);
  EXPECT_EQ(train::diffusion_unet_config(o, 5).sample_size, 16);
  EXPECT_EQ(train::diffusion_unet_config(o, 5).null_class(), 5);
  EXPECT_EQ(train::diffusion_scheduler_config(o).beta_schedule,
            models::BetaSchedule::scaled_linear);
  EXPECT_EQ(shapes.prediction, "v");
  EXPECT_EQ(train::diffusion_scheduler_config(shapes).prediction_type,
            models::PredictionType::v_prediction);
  EXPECT_EQ(
      train::diffusion_scheduler_config(parse({"shapes", "--prediction", "eps"})).prediction_type,
      models::PredictionType::epsilon);
  EXPECT_NE(error_of({"shapes", "--prediction", "x0"}).find("--prediction: expected v or eps"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--min-snr", "-1"}).find("--min-snr: expected a number"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--outlier-std", "-1"}).find("--outlier-std: expected a number"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--guidance", "-2"}).find("--guidance: expected a number"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--ddim-steps", "0"}).find("--ddim-steps: expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--diffusion-steps", "0"}).find("--diffusion-steps"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--diffusion-size", "30"})
                .find("--diffusion-size: 30 is not divisible by the downsampling factor 4"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--unet", "gpu-base", "--diffusion-size", "36"})
                .find("factor 8 of the gpu-base UNet"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--beta-schedule", "sigmoid"}).find("expected cosine, linear"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--unet", "huge"}).find("--unet: expected cpu-demo or gpu-base"),
            std::string::npos);
  EXPECT_EQ(shapes.cuda_graph, "on");
  EXPECT_EQ(parse({"shapes", "--cuda-graph", "off"}).cuda_graph, "off");
  EXPECT_NE(error_of({"shapes", "--cuda-graph", "yes"}).find("--cuda-graph"), std::string::npos);
}

using DiffusionStage = train_test::TinyShapes;

TEST_F(DiffusionStage, TrainingReducesTheLoss) {
  const std::string run = root_ + "/run_loss";
  // The plain eps MSE (not the default v target with Min-SNR weights), whose start is known.
  const auto eps = [&](std::vector<const char*> extra) {
    extra.insert(extra.end(), {"--prediction", "eps", "--min-snr", "0"});
    return options(extra);
  };
  const auto result = train::train_diffusion(eps({"--diffusion-steps", "40"}), run, train_set_);
  EXPECT_EQ(result.steps, 40);
  EXPECT_TRUE(fs::exists(result.checkpoint));
  const auto losses = logged_losses(run + "/diffusion/log.jsonl");
  ASSERT_EQ(losses.size(), 40u);
  double first = 0, last = 0;
  for (int i = 0; i < 8; ++i) {
    first += losses[i] / 8;
    last += losses[losses.size() - 1 - i] / 8;
  }
  // The zero-initialised output predicts eps = 0 (loss ~1); learning eps ~ x_t at large t alone
  // takes a good part of that away.
  EXPECT_GT(first, 0.7);
  EXPECT_LT(last, 0.75 * first) << "first 8 steps " << first << ", last 8 steps " << last;
  // A finished stage returns at once; its EMA model loads back.
  const auto again = train::train_diffusion(eps({"--diffusion-steps", "40"}), run, train_set_);
  EXPECT_EQ(again.steps, 40);
  const auto ema = train::load_diffusion_ema(eps({}), result.checkpoint, 5);
  EXPECT_EQ(ema->config().sample_size, 8);
  EXPECT_THROW(train::load_diffusion_ema(eps({"--diffusion-size", "16"}), result.checkpoint, 5),
               std::runtime_error);
  // Sampling or resuming with another target than the one trained is refused.
  try {
    train::load_diffusion_ema(options({}), result.checkpoint, 5);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("trained with --prediction eps, not v"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(train::train_diffusion(options({"--diffusion-steps", "41"}), run, train_set_),
               std::runtime_error);
  EXPECT_TRUE(fs::exists(run + "/diffusion/preview.png"));
}

TEST_F(DiffusionStage, ResumeReproducesTheUninterruptedRun) {
  const std::string straight = root_ + "/run_straight", split = root_ + "/run_split";
  train::train_diffusion(options({"--diffusion-steps", "6"}), straight, train_set_);
  train::train_diffusion(options({"--diffusion-steps", "3"}), split, train_set_);
  // Step 3 was not a checkpoint step (every 2), but the end of a run always is.
  train::train_diffusion(options({"--diffusion-steps", "6"}), split, train_set_);
  const auto a = logged_losses(straight + "/diffusion/log.jsonl");
  const auto b = logged_losses(split + "/diffusion/log.jsonl");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;
  const auto wa = engine::io::load_safetensors(straight + "/diffusion/checkpoint_last.safetensors");
  const auto wb = engine::io::load_safetensors(split + "/diffusion/checkpoint_last.safetensors");
  ASSERT_EQ(wa.tensors.size(), wb.tensors.size());
  for (std::size_t i = 0; i < wa.tensors.size(); ++i) {
    ASSERT_EQ(wa.tensors[i].first, wb.tensors[i].first);
    EXPECT_EQ(wa.tensors[i].second.to(engine::DType::f64).to_vector<double>(),
              wb.tensors[i].second.to(engine::DType::f64).to_vector<double>())
        << wa.tensors[i].first;
  }
}

TEST_F(DiffusionStage, OutliersLoadBackWithOodFlagsAndAreDeterministic) {
  auto o = options({"--outlier-images", "3", "--ddim-steps", "2", "--outlier-min-area", "300"});
  engine::Generator init(4);
  models::UNet2DModel unet(train::diffusion_unet_config(o, 5), init);
  const std::string run_a = root_ + "/outliers_a", run_b = root_ + "/outliers_b";
  fs::remove_all(run_a);
  fs::remove_all(run_b);
  const auto a = train::generate_outliers(o, run_a, train_set_, unet);
  const auto b = train::generate_outliers(o, run_b, train_set_, unet);
  data::Diagnostics diag;
  const data::Dataset back = data::read_coco(a.json, a.image_dir, diag);
  ASSERT_EQ(back.images.size(), 3u);
  EXPECT_TRUE(back.has_ood_field);
  EXPECT_EQ(back.categories.size(), train_set_.categories.size());
  int inpainted = 0;
  for (const auto& im : back.images) {
    // The source image: same objects, boxes and size; ood exactly on the large ones.
    const auto src = std::find_if(
        train_set_.images.begin(), train_set_.images.end(), [&](const data::ImageRecord& r) {
          return fs::path(r.file_name).stem() == fs::path(im.file_name).stem();
        });
    ASSERT_NE(src, train_set_.images.end()) << im.file_name;
    EXPECT_NE(src->id, im.id);
    const data::Image pixels = data::load_image(back.image_path(im));
    EXPECT_EQ(pixels.width, src->width);
    EXPECT_EQ(pixels.height, src->height);
    ASSERT_EQ(im.objects.size(), src->objects.size());
    for (std::size_t j = 0; j < im.objects.size(); ++j) {
      EXPECT_EQ(im.objects[j].box, src->objects[j].box);
      EXPECT_EQ(im.objects[j].label, src->objects[j].label);
      EXPECT_EQ(im.objects[j].ood, src->objects[j].box.area() > 300);
      inpainted += im.objects[j].ood;
    }
  }
  EXPECT_GT(inpainted, 0);
  const data::Image sheet = data::load_image(a.contact_sheet);
  EXPECT_GT(sheet.width, 4 * 8);
  // The same seed writes the same images.
  ASSERT_EQ(b.outliers.images.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.outliers.images[i].file_name, b.outliers.images[i].file_name);
    EXPECT_EQ(data::load_image(a.outliers.image_path(a.outliers.images[i])).pixels,
              data::load_image(b.outliers.image_path(b.outliers.images[i])).pixels);
  }
  // A finished stage is read back; without a diffusion model the stage says what to run.
  EXPECT_EQ(train::generate_outliers(o, run_a, train_set_).outliers.images.size(), 3u);
  try {
    train::generate_outliers(o, root_ + "/no_model", train_set_);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("run the diffusion stage first"), std::string::npos);
  }
}
