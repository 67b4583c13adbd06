// "It learns" (issue 7): a small Dream-Box detector trained on a generated shapes set plus
// pasted-shapes outliers reaches an ID AP50 well above the same model untrained (same init).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "data/coco.h"
#include "data/shapes/generator.h"
#include "data/shapes/pasted_outliers.h"
#include "engine/random.h"
#include "train/detector_eval.h"
#include "train/detector_stage.h"
#include "train/detector_training.h"
#include "train/evaluation.h"
#include "train/outlier_set.h"

namespace fs = std::filesystem;

namespace {

class LearningOnShapes : public ::testing::Test {
 protected:
  static constexpr int kSide = 96;
  static constexpr std::uint64_t kSeed = 0;  // data, outliers and initial weights
  static constexpr int kEpochs = 12;         // 432 steps of 4 images

  static void SetUpTestSuite() {
    const auto start = std::chrono::steady_clock::now();
    root_ = fs::temp_directory_path() / ("dreambox_learning_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    // Few, large shapes per image so that a from-scratch ResNet-18 learns them in minutes.
    data::shapes::ShapesConfig config;
    config.seed = kSeed;
    config.trainval_images = 96;
    config.test_images = 48;
    config.near_ood_images = 1;
    config.far_ood_images = 1;
    config.render.min_side = config.render.max_side = kSide;
    config.render.min_objects = 1;
    config.render.max_objects = 2;
    config.render.min_radius = 0.18;
    config.render.max_radius = 0.32;
    config.render.truncated_share = 0;
    data::shapes::generate_shapes(root_.string(), config);
    const auto layout = data::shapes::shapes_layout(root_.string());
    data::Diagnostics diag;
    const data::Dataset id_train = data::read_coco(layout.trainval_json, layout.image_dir, diag);
    data::Dataset test = data::read_coco(layout.test_json, layout.image_dir, diag);
    test.images.resize(32);  // the 32 images the margin below was measured on

    data::shapes::PastedOutliersConfig pasted;
    pasted.seed = kSeed;
    pasted.images = 48;
    pasted.min_box_area = 600;
    data::shapes::generate_pasted_outliers(id_train, root_.string(), pasted);
    const auto outlier_layout = data::shapes::pasted_outliers_layout(root_.string());
    const data::Dataset outliers =
        train::load_outlier_set({outlier_layout.json, outlier_layout.image_dir}, id_train);

    bool help = false;
    static const std::string side = std::to_string(kSide);
    // clang-format off
    const std::vector<const char*> args = {
        "train_dreambox", "shapes", "--depth", "18", "--fpn-channels", "32",
        "--representation", "64", "--train-sizes", side.c_str(), "--test-size", side.c_str(),
        "--max-size", side.c_str(), "--warmup-steps", "50", "--lr", "0.02", "--norm", "group",
        "--checkpoint-every", "100000", "--batch-size", "4"};
    // clang-format on
    options_ = train::parse_options(static_cast<int>(args.size()), args.data(), help);
    options_.run_dir = (root_ / "run").string();
    options_.epochs = kEpochs;  // lr x0.1 at 2/3 and 8/9 of them
    options_.seed = kSeed;
    const auto& variant = *train::find_detector_variant("dreambox");
    options_ = train::variant_options(options_, variant);
    const data::Dataset train_set = train::with_outliers(id_train, outliers);

    engine::manual_seed(kSeed + 7);
    models::FasterRcnn untrained(train::detector_config(options_, 5));
    untrained_ap50_ = train::detection_metrics(
                          test, train::run_detector(untrained, test, options_, "untrained"))["AP50"]
                          .get<double>();

    engine::manual_seed(kSeed + 7);  // the same initial weights as the untrained model
    models::FasterRcnn model(train::detector_config(options_, 5));
    train::RunDirectory run(options_.run_dir);
    train::train_detector(options_, run, model, train_set,
                          train::detector_info(options_, variant, train_set));
    trained_ap50_ = train::detection_metrics(
                        test, train::run_detector(model, test, options_, "trained"))["AP50"]
                        .get<double>();
    std::printf("learning: AP50 untrained %.4f trained %.4f, %.0f s\n", untrained_ap50_,
                trained_ap50_,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static inline fs::path root_;
  static inline train::Options options_;
  static inline double untrained_ap50_ = 0, trained_ap50_ = 0;
};

// Measured (loaded 2-core VM): AP50 untrained 0.008 -> trained 0.353 with seed 0, 0.020 -> 0.334
// with seed 1 (also 0.33-0.37 for 400 and 600 steps at a constant lr): the margin leaves 0.11+.
TEST_F(LearningOnShapes, TrainedMapIsClearlyAboveTheUntrainedModel) {
  EXPECT_GT(trained_ap50_, untrained_ap50_ + 0.2);
}

}  // namespace
