// "It learns" (issues 7, 9): a small Dream-Box detector trained on a generated shapes set plus
// pasted-shapes outliers beats the same model untrained, names ID shapes and flags novel ones.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "data/coco.h"
#include "data/file_io.h"
#include "data/shapes/generator.h"
#include "data/shapes/pasted_outliers.h"
#include "engine/random.h"
#include "train/detect.h"
#include "train/detector_eval.h"
#include "train/detector_stage.h"
#include "train/detector_training.h"
#include "train/evaluation.h"
#include "train/ood_threshold.h"
#include "train/outlier_set.h"

namespace fs = std::filesystem;

namespace {

struct Rate {
  int hits = 0, total = 0;
  double value() const { return total > 0 ? static_cast<double>(hits) / total : 0.0; }
};

class LearningOnShapes : public ::testing::Test {
 protected:
  static constexpr int kSide = 96;
  static constexpr std::uint64_t kSeed = 0;  // data, outliers and initial weights
  static constexpr int kEpochs = 12;         // 432 steps of 4 images

  static void SetUpTestSuite() {
    const auto start = std::chrono::steady_clock::now();
    root_ = fs::temp_directory_path() / ("dreambox_learning_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    // Up to four mid-sized shapes per image so that a from-scratch ResNet-18 localises them in
    // minutes (and lands enough detections on pasted shapes to count their flags).
    data::shapes::ShapesConfig config;
    config.seed = kSeed;
    config.trainval_images = 96;
    config.test_images = 48;
    config.near_ood_images = 1;
    config.far_ood_images = 1;
    config.render.min_side = config.render.max_side = kSide;
    config.render.min_objects = 1;
    config.render.max_objects = 4;
    config.render.min_radius = 0.12;
    config.render.max_radius = 0.25;
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
        "--max-size", side.c_str(), "--warmup-steps", "50", "--lr", "0.01", "--norm", "group",
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
    const auto detections = train::run_detector(model, test, options_, "trained");
    trained_ap50_ = train::detection_metrics(test, detections)["AP50"].get<double>();
    // Confident detections on ID objects: how often is the class right (printed, see below)?
    right_class_ = train::class_accuracy(test, detections, options_.ood_score_threshold);
    // The evaluation stage's OOD threshold (95% ID recall) goes into the checkpoint; detect
    // then runs on unseen test images with pasted novel shapes and on the plain test images.
    train::record_ood_threshold(detections, options_.ood_score_threshold,
                                train::OodScoreSource::head, run.checkpoint_path());
    data::shapes::PastedOutliersConfig novel_config = pasted;
    novel_config.seed = kSeed + 99;
    novel_config.images = kNovelImages;
    const data::Dataset novel =
        data::shapes::generate_pasted_outliers(test, (root_ / "novel").string(), novel_config);
    flag_rates(model_flags(run.checkpoint_path(), {&test, &novel}));
    std::printf(
        "learning: AP50 untrained %.4f trained %.4f; right class %d/%d (most frequent class "
        "%d/%d); unknown: novel %d/%d, ID %d/%d; %.0f s\n",
        untrained_ap50_, trained_ap50_, right_class_.right, right_class_.total,
        right_class_.majority, right_class_.total, novel_flagged_.hits, novel_flagged_.total,
        id_flagged_.hits, id_flagged_.total,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // `train_dreambox detect` with the checkpoint's defaults on every image of `sets`: its
  // detections.json rows (file_name, bbox, unknown, ...).
  static nlohmann::json model_flags(const std::string& checkpoint,
                                    const std::vector<const data::Dataset*>& sets) {
    const fs::path list = root_ / "detect_images.txt";
    {
      std::ofstream out(list);
      for (const auto* set : sets)
        for (const auto& r : set->images) out << set->image_path(r) << "\n";
    }
    train::DetectOptions d;
    d.weights = checkpoint;
    d.images = list.string();
    d.out = (root_ / "detect").string();
    d.draw = false;
    d.batch_size = options_.batch_size;
    train::run_detect(d);
    sets_ = sets;
    return nlohmann::json::parse(data::read_text_file(d.out + "/detections.json"));
  }

  // Counts the unknown flags of detections on pasted novel shapes and on ID objects.
  static void flag_rates(const nlohmann::json& rows) {
    std::map<std::string, const data::ImageRecord*> by_path;
    for (const auto* set : sets_)
      for (const auto& r : set->images) by_path[set->image_path(r)] = &r;
    for (const auto& row : rows) {
      const auto& bbox = row["bbox"];  // [x, y, w, h]
      const data::Box box{bbox[0].get<double>(), bbox[1].get<double>(),
                          bbox[0].get<double>() + bbox[2].get<double>(),
                          bbox[1].get<double>() + bbox[3].get<double>()};
      const auto* object =
          train::object_under(*by_path.at(row["file_name"].get<std::string>()), box);
      if (object == nullptr) continue;
      Rate& rate = object->ood ? novel_flagged_ : id_flagged_;
      ++rate.total;
      rate.hits += row["unknown"].get<bool>() ? 1 : 0;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static inline fs::path root_;
  static inline train::Options options_;
  static inline double untrained_ap50_ = 0, trained_ap50_ = 0;
  static inline train::ClassAccuracy right_class_;
  static inline Rate novel_flagged_, id_flagged_;
  static inline std::vector<const data::Dataset*> sets_;
  static constexpr int kNovelImages = 24;  // test images with pasted novel shapes
};

// Measured (loaded 2-core VM): AP50 untrained 0.010 -> trained 0.329 with seed 0, trained 0.264
// with seed 1 (untrained 0.008/0.020 with seeds 0/1 in the earlier 1-2 object setup).
TEST_F(LearningOnShapes, TrainedMapIsClearlyAboveTheUntrainedModel) {
  EXPECT_GT(trained_ap50_, untrained_ap50_ + 0.2);
}

// The classes of those detections are not asserted: after 432 steps from scratch they stay near
// chance (9/51 right with seed 0; a 1024-wide box head: 19/73 and 34/92 with seeds 0/1, the most
// frequent class alone 31/92), see README "Tests".

// Measured (loaded 2-core VM): unknown on pasted novel shapes 5/27 = 0.19 vs ID objects 2/60 =
// 0.03 with seed 0, 5/17 = 0.29 vs 1/26 = 0.04 with seed 1: the margin leaves 0.1+.
TEST_F(LearningOnShapes, DetectFlagsPastedNovelShapesMoreOftenThanIdObjects) {
  ASSERT_GE(novel_flagged_.total, 5);
  ASSERT_GE(id_flagged_.total, 10);
  EXPECT_GT(novel_flagged_.value(), id_flagged_.value() + 0.05)
      << "novel " << novel_flagged_.hits << "/" << novel_flagged_.total << ", ID "
      << id_flagged_.hits << "/" << id_flagged_.total;
}

}  // namespace
