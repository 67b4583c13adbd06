// train_dreambox's detector flags: --detector-variant (MMDet switches recorded in the run config
// and checkpoint, rebuilt by `detect`) and --init-weights (validated, loaded before step 0).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "data/coco.h"
#include "data/shapes/generator.h"
#include "engine/io/safetensors.h"
#include "engine/random.h"
#include "tests/train/parse_flags.h"
#include "train/detector_stage.h"
#include "train/detector_training.h"
#include "train/detector_weights.h"
#include "train/model_info.h"

namespace fs = std::filesystem;

namespace {

using train_test::error_of;
using train_test::parse;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DetectorOptions, VariantAndInitWeightsFlags) {
  EXPECT_EQ(parse({"shapes"}).detector_variant, "torchvision");
  EXPECT_EQ(parse({"voc", "--detector-variant", "mmdet"}).detector_variant, "mmdet");
  EXPECT_TRUE(has(error_of({"shapes", "--detector-variant", "detectron"}),
                  "--detector-variant: expected torchvision or mmdet, got 'detectron'"));
  EXPECT_TRUE(has(error_of({"shapes", "--detector-variant", "mmdet", "--norm", "group"}),
                  "cannot be combined with --norm group"));
  EXPECT_TRUE(has(error_of({"shapes", "--init-weights", "/no/such.safetensors"}),
                  "--init-weights /no/such.safetensors: no such file"));
  const std::string file =
      (fs::temp_directory_path() / ("dreambox_init_flag_" + std::to_string(::getpid()))).string();
  std::ofstream(file) << "x";
  EXPECT_EQ(parse({"shapes", "--init-weights", file.c_str()}).init_weights, file);
  EXPECT_TRUE(has(error_of({"shapes", "--init-weights", file.c_str(), "--weights", file.c_str()}),
                  "--weights and --init-weights exclude each other"));
  fs::remove(file);
  EXPECT_TRUE(has(train::options_help(), "--detector-variant VALUE"));
  EXPECT_TRUE(has(train::options_help(), "--init-weights VALUE"));
}

TEST(DetectorOptions, VariantSwitchesTheDetectorConfig) {
  auto o = parse({"voc", "--detector-variant", "mmdet"});
  const auto mmdet = train::detector_config(o, 20);
  const auto expected = models::mmdet_variant(train::detector_config(parse({"voc"}), 20));
  EXPECT_TRUE(mmdet.backbone.trainable_norm_affine);
  EXPECT_EQ(mmdet.backbone.trainable_norm_affine, expected.backbone.trainable_norm_affine);
  EXPECT_EQ(mmdet.rpn.smooth_l1_beta, 0.0);
  EXPECT_EQ(mmdet.roi_heads.smooth_l1_beta, 0.0);
  EXPECT_EQ(mmdet.rpn.post_nms_top_n_train, 1000);
  EXPECT_TRUE(mmdet.roi_heads.aligned);
  EXPECT_EQ(mmdet.roi_heads.sampling_ratio, 0);
  EXPECT_TRUE(mmdet.roi_heads.background_last);
  EXPECT_EQ(mmdet.backbone.depth, 50);  // the run's own settings stay
  EXPECT_EQ(mmdet.roi_heads.num_classes, 21);
  const auto tv = train::detector_config(parse({"voc"}), 20);
  EXPECT_FALSE(tv.backbone.trainable_norm_affine);
  EXPECT_FALSE(tv.roi_heads.background_last);
  EXPECT_EQ(tv.rpn.post_nms_top_n_train, 2000);
  // shapes trims the proposal counts of either variant.
  EXPECT_EQ(train::detector_config(parse({"shapes", "--detector-variant", "mmdet"}), 5)
                .rpn.post_nms_top_n_train,
            300);
}

TEST(DetectorOptions, CheckpointInfoRecordsTheVariant) {
  auto o = parse({"voc", "--detector-variant", "mmdet"});
  auto info = train::options_to_json(o);
  info["classes"] = {"cat", "dog"};
  EXPECT_EQ(train::model_from_info(info, "x").options.detector_variant, "mmdet");
  auto older = info;  // runs before the flag existed were torchvision
  older.erase("detector_variant");
  EXPECT_EQ(train::model_from_info(older, "x").options.detector_variant, "torchvision");
  info["detector_variant"] = "yolo";
  try {
    train::model_from_info(info, "run/ckpt.safetensors");
    ADD_FAILURE() << "no error for a bad detector_variant";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(has(e.what(), "'detector_variant' must be one of torchvision, mmdet")) << e.what();
  }
}

// A detector stage on a tiny shapes set: mmdet variant started from a whole-detector file made
// for 8 classes; the run records both, `detect` rebuilds the background-last model.
TEST(DetectorOptions, StageStartsFromInitWeightsAndDetectRebuildsTheVariant) {
  const fs::path root =
      fs::temp_directory_path() / ("dreambox_detector_options_" + std::to_string(::getpid()));
  fs::remove_all(root);
  data::shapes::ShapesConfig shapes;
  shapes.trainval_images = 4;
  shapes.test_images = 2;
  shapes.near_ood_images = 1;
  shapes.far_ood_images = 1;
  shapes.render.min_side = 64;
  shapes.render.max_side = 72;
  const auto layout = data::shapes::generate_shapes(root.string(), shapes).layout;
  data::Diagnostics diag;
  const data::Dataset train_set = data::read_coco(layout.trainval_json, layout.image_dir, diag);

  auto o = parse({"shapes", "--depth", "18", "--fpn-channels", "16", "--representation", "32",
                  "--train-sizes", "64", "--test-size", "64", "--max-size", "96", "--warmup-steps",
                  "1", "--trainable-layers", "3", "--detector-variant", "mmdet"});
  o.max_steps = 2;
  auto file_options = o;
  file_options.ood_head = false;  // torchvision has no OOD head (nor has the vanilla detector)
  engine::manual_seed(1);
  models::FasterRcnn source(train::detector_config(file_options, 7));  // another class count
  const std::string init = (root / "init.safetensors").string();
  engine::io::save_safetensors(init, source.state_dict());
  o.init_weights = init;
  const auto& variant = *train::find_detector_variant("vanilla");
  train::train_detector_variant(o, variant, train_set, root.string());

  const std::string folder = train::detector_folder(root.string(), variant);
  std::ifstream config_file(folder + "/config.json");
  const auto config = nlohmann::json::parse(config_file);
  EXPECT_EQ(config.at("detector_variant"), "mmdet");
  EXPECT_EQ(config.at("init_weights"), init);
  std::ifstream report_file(folder + "/init_weights.json");
  const auto report = nlohmann::json::parse(report_file);
  EXPECT_EQ(report.at("kind"), "Faster R-CNN");
  EXPECT_TRUE(has(report.at("predictor").get<std::string>(), "reinitialised for 6 classes"));

  train::DetectOptions d;
  d.weights = folder + "/checkpoint_last.safetensors";
  const train::LoadedDetector loaded = train::load_detector(d);
  EXPECT_EQ(loaded.options.detector_variant, "mmdet");
  const auto trained = loaded.model->state_dict();
  const auto initial = source.state_dict();
  auto tensor = [](const engine::nn::NamedTensors& ts, const std::string& name) {
    for (const auto& [n, t] : ts)
      if (n == name) return t.contiguous().to_vector<float>();
    ADD_FAILURE() << "no tensor " << name;
    return std::vector<float>{};
  };
  // Background last: foreground-only box deltas (5 classes x 4 rows).
  EXPECT_EQ(tensor(trained, "roi_heads.box_predictor.bbox_pred.bias").size(), 20u);
  // Started from the file: the frozen stem is still the file's; the MMDet norm affine of a
  // trainable stage has moved.
  EXPECT_EQ(tensor(trained, "backbone.body.conv1.weight"),
            tensor(initial, "backbone.body.conv1.weight"));
  EXPECT_EQ(tensor(trained, "backbone.body.bn1.weight"),
            tensor(initial, "backbone.body.bn1.weight"));
  EXPECT_NE(tensor(trained, "backbone.body.layer3.0.bn1.weight"),
            tensor(initial, "backbone.body.layer3.0.bn1.weight"));
  fs::remove_all(root);
}

}  // namespace
