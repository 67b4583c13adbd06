// train_dreambox's stages: option parsing (defaults, errors that name the flag), the training loop
// and the stage pipeline on a tiny generated shapes set (exact resume, outputs reused).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "data/coco.h"
#include "data/shapes/generator.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "tests/train/parse_flags.h"
#include "train/detect_options.h"
#include "train/detector_training.h"
#include "train/evaluation.h"
#include "train/options.h"
#include "train/pipeline.h"
#include "train/results_table.h"

namespace fs = std::filesystem;

namespace {

using train_test::error_of;
using train_test::parse;

TEST(TrainOptions, DefaultsFlagsAndErrors) {
  const auto o = parse({"shapes", "--lr", "0.005", "--train-sizes=128,160", "--stages",
                        "vanilla,eval", "--depth", "34"});
  EXPECT_EQ(o.preset, "shapes");
  EXPECT_EQ(o.data_root, "datasets/shapes");
  EXPECT_DOUBLE_EQ(o.lr, 0.005);
  EXPECT_EQ(o.train_sizes, (std::vector<int>{128, 160}));
  EXPECT_EQ(o.stages, (std::vector<std::string>{"vanilla", "eval"}));
  EXPECT_NE(error_of({"shapes", "--stages", "vanilla,bogus"}).find("unknown stage 'bogus'"),
            std::string::npos);
  for (const auto& stage : train::pipeline_stages()) {  // slots that other work fills in
    if (!stage.run) {
      EXPECT_NE(error_of({"shapes", "--stages", stage.name.c_str()}).find("is not built yet"),
                std::string::npos)
          << stage.name;
    }
  }
  EXPECT_EQ(parse({"shapes", "--eval-only"}).stages, std::vector<std::string>{"eval"});
  EXPECT_DOUBLE_EQ(parse({"shapes", "--ood-score-thresh", "0.4"}).ood_score_threshold, 0.4);
  EXPECT_EQ(parse({"shapes", "--norm", "group"}).norm, "group");
  EXPECT_NE(error_of({"shapes", "--norm", "batch"}).find("--norm: expected frozen or group"),
            std::string::npos);
  EXPECT_EQ(o.depth, 34);
  EXPECT_NE(error_of({"shapes", "--bogus", "1"}).find("unknown flag --bogus"), std::string::npos);
  EXPECT_NE(error_of({"shapes", "--lr", "fast"}).find("--lr: expected a number"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--depth", "42"}).find("--depth: expected 18, 34, 50 or 101"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--epochs"}).find("--epochs needs a value"), std::string::npos);
  EXPECT_NE(error_of({"imagenet"}).find("unknown preset 'imagenet'"), std::string::npos);
  EXPECT_NE(train::options_help().find("--ood-gt-mode VALUE"), std::string::npos);
  const auto voc = parse({"voc", "--batch-size", "4"});
  EXPECT_EQ(voc.depth, 50);
  EXPECT_EQ(voc.train_sizes.front(), 480);
  EXPECT_EQ(voc.train_sizes.back(), 800);
  EXPECT_EQ(voc.train_sizes.size(), 11u);
  EXPECT_EQ(voc.batch_size, 4);  // flags override the preset
  EXPECT_DOUBLE_EQ(voc.ood_score_threshold, 0.5);
}

// This binary links the stub CUDA backend (no cuda): cpu by default, cuda is an error that says
// why (the backend's description). tests/train/device_cuda_test.cpp checks the emulator build.
TEST(TrainOptions, DeviceFlagWithoutCuda) {
  ASSERT_FALSE(engine::cuda_backend::available());
  EXPECT_EQ(parse({"shapes"}).device, "cpu");
  EXPECT_EQ(parse({"voc", "--device", "cpu"}).device, "cpu");
  for (const char* cuda : {"cuda", "cuda:0", "cuda:3"})
    EXPECT_EQ(error_of({"shapes", "--device", cuda}),
              std::string("--device ") + cuda + ": CUDA is not available (" +
                  engine::cuda_backend::description() + "); use --device cpu");
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "CPU", ""})
    EXPECT_EQ(error_of({"shapes", "--device", bad}),
              std::string("--device: expected cpu, cuda or cuda:N, got '") + bad + "'");
  EXPECT_EQ(train::options_to_json(parse({"shapes"})).at("device"), "cpu");
  EXPECT_NE(train::options_help().find("--device VALUE"), std::string::npos);
  EXPECT_NE(train::options_help().find("default: cuda when this build has a usable GPU"),
            std::string::npos);
  const char* detect[] = {"train_dreambox", "detect", "--weights", "w",
                          "--images",       "i",      "--device",  "cuda"};
  bool help = false;
  EXPECT_EQ(train::parse_detect_options(6, detect, help).device, "cpu");
  try {
    train::parse_detect_options(8, detect, help);
    ADD_FAILURE() << "detect --device cuda parsed without a CUDA backend";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--device cuda: CUDA is not available"), std::string::npos)
        << e.what();
  }
}

class TrainLoop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One folder per process: ctest runs tests (and other checkouts run theirs) in parallel.
    root_ = (fs::temp_directory_path() / ("dreambox_train_loop_test_" + std::to_string(::getpid())))
                .string();
    fs::remove_all(root_);
    data::shapes::ShapesConfig config;
    config.trainval_images = 6;
    config.test_images = 2;
    config.near_ood_images = 2;
    config.far_ood_images = 2;
    config.render.min_side = 64;
    config.render.max_side = 80;
    data::shapes::generate_shapes(root_, config);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static train::Options options(const std::string& run) {
    auto o = parse({"shapes", "--depth", "18", "--fpn-channels", "16", "--representation", "32",
                    "--train-sizes", "64", "--test-size", "64", "--max-size", "96",
                    "--warmup-steps", "2", "--checkpoint-every", "2"});
    o.data_root = root_;
    o.run_dir = root_ + "/" + run;
    return o;
  }
  static models::FasterRcnn make_model(const train::Options& o) {
    engine::manual_seed(7);
    return models::FasterRcnn(train::detector_config(o, 5));
  }
  static inline std::string root_;
};

TEST_F(TrainLoop, ResumeReproducesTheUninterruptedRun) {
  const auto layout = data::shapes::shapes_layout(root_);
  data::Diagnostics diag;
  const data::Dataset train_set = data::read_coco(layout.trainval_json, layout.image_dir, diag);

  auto straight = options("straight");
  straight.max_steps = 4;
  engine::manual_seed(7);
  models::FasterRcnn a(train::detector_config(straight, 5));
  train::RunDirectory run_a(straight.run_dir);
  EXPECT_EQ(train::train_detector(straight, run_a, a, train_set, {}), 4);

  auto first = options("resumed");
  first.max_steps = 2;
  engine::manual_seed(7);
  models::FasterRcnn b(train::detector_config(first, 5));
  {
    train::RunDirectory run_b(first.run_dir);
    EXPECT_EQ(train::train_detector(first, run_b, b, train_set, {}), 2);
  }
  auto second = first;
  second.max_steps = 4;
  second.resume = true;
  engine::manual_seed(99);  // a different init: everything must come from the checkpoint
  models::FasterRcnn c(train::detector_config(second, 5));
  train::RunDirectory run_c(second.run_dir);
  EXPECT_EQ(train::train_detector(second, run_c, c, train_set, {}), 4);

  const auto sa = a.state_dict(), sc = c.state_dict();
  ASSERT_EQ(sa.size(), sc.size());
  for (std::size_t i = 0; i < sa.size(); ++i)
    EXPECT_EQ(sa[i].second.to_vector<float>(), sc[i].second.to_vector<float>()) << sa[i].first;
  EXPECT_TRUE(fs::exists(run_c.file("log.jsonl")));
}

TEST_F(TrainLoop, VosLossStartsLateAndResumesExactly) {
  const auto layout = data::shapes::shapes_layout(root_);
  data::Diagnostics diag;
  const data::Dataset train_set = data::read_coco(layout.trainval_json, layout.image_dir, diag);
  auto vos_options = [&](const std::string& run, std::int64_t steps) {
    auto o = options(run);
    o.vos = true;
    o.vos_queue = 2;
    o.vos_samples = 64;
    o.vos_start = 0.5;  // of the 2 epochs x 3 steps planned: from step 3 on
    o.epochs = 2;
    o.max_steps = steps;
    return o;
  };
  auto straight = vos_options("vos-straight", 6);
  engine::manual_seed(7);
  models::FasterRcnn a(train::detector_config(straight, 5));
  ASSERT_TRUE(a.roi_heads->vos);
  {
    train::RunDirectory run(straight.run_dir);
    train::train_detector(straight, run, a, train_set, {});
  }
  std::vector<double> vos_terms;
  std::ifstream log(straight.run_dir + "/log.jsonl");
  for (std::string line; std::getline(log, line);)
    vos_terms.push_back(nlohmann::json::parse(line)["terms"]["vos"].get<double>());
  ASSERT_EQ(vos_terms.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(vos_terms[i], 0.0) << i;  // before the start
  EXPECT_GT(vos_terms.back(), 0.0);

  auto first = vos_options("vos-resumed", 4);
  engine::manual_seed(7);
  models::FasterRcnn b(train::detector_config(first, 5));
  {
    train::RunDirectory run(first.run_dir);
    train::train_detector(first, run, b, train_set, {});
  }
  auto second = vos_options("vos-resumed", 6);
  second.resume = true;
  engine::manual_seed(99);
  models::FasterRcnn c(train::detector_config(second, 5));
  train::RunDirectory run(second.run_dir);
  train::train_detector(second, run, c, train_set, {});
  const auto sa = a.state_dict(), sc = c.state_dict();  // queues included
  ASSERT_EQ(sa.size(), sc.size());
  for (std::size_t i = 0; i < sa.size(); ++i)
    EXPECT_EQ(sa[i].second.contiguous().to(engine::DType::f64).to_vector<double>(),
              sc[i].second.contiguous().to(engine::DType::f64).to_vector<double>())
        << sa[i].first;
}

TEST_F(TrainLoop, PipelineTrainsEvaluatesAndReusesItsOutputs) {
  auto o = options("pipeline");
  o.max_steps = 2;
  o.pasted_outliers = 3;
  o.stages = {"vanilla", "dreambox", "vos", "eval"};
  o.vos_queue = 2;
  o.vos_samples = 16;
  ASSERT_EQ(train::run_pipeline(o), 0);
  for (const char* file : {"config.json", "results.md", "results.json", "vanilla/config.json",
                           "vanilla/checkpoint_last.safetensors", "vanilla/summary.json",
                           "vanilla/detections_test.json", "dreambox/detections_ood_far.json"})
    EXPECT_TRUE(fs::exists(o.run_dir + "/" + file)) << file;
  // The Dream-Box detector trained on the 6 ID images plus the 3 pasted-shapes outlier images.
  std::ifstream config(o.run_dir + "/dreambox/config.json");
  EXPECT_EQ(nlohmann::json::parse(config)["train_images"], 9);
  const auto checkpoint = fs::last_write_time(o.run_dir + "/vanilla/checkpoint_last.safetensors");
  const auto summary = fs::last_write_time(o.run_dir + "/dreambox/summary.json");
  ASSERT_EQ(train::run_pipeline(o), 0);  // everything is there: nothing is redone
  EXPECT_EQ(fs::last_write_time(o.run_dir + "/vanilla/checkpoint_last.safetensors"), checkpoint);
  EXPECT_EQ(fs::last_write_time(o.run_dir + "/dreambox/summary.json"), summary);
  o.stages = {"eval"};
  o.run_dir = root_ + "/empty-run";
  EXPECT_THROW(train::run_pipeline(o), std::runtime_error);  // no trained detector
}

TEST(TrainResultsTable, RowsPerDetectorColumnsPerOodSet) {
  const nlohmann::json vanilla = {{"checkpoint_step", 400},
                                  {"ood_score", "energy (-LSE)"},
                                  {"id", {{"AP", 0.5}, {"AP50", 0.75}, {"class_accuracy", 0.6}}},
                                  {"ood_far", {{"FPR95", 0.4}, {"AUROC", 0.9}, {"AUPR_in", 0.955}}},
                                  {"ood_near", {{"error", "no OOD detection above 0.3"}}}};
  const nlohmann::json dreambox = {{"ood_score", "head"}, {"id", {{"AP", 0.25}, {"AP50", 0.5}}}};
  const std::string md =
      train::results_markdown({{"vanilla", vanilla}, {"dreambox", dreambox}}, {"far", "near"});
  EXPECT_NE(
      md.find(
          "| detector | steps | OOD score | ID AP | ID AP50 | ID class acc | far FPR95 | far AUROC "
          "| far AUPR | near FPR95 | near AUROC | near AUPR |"),
      std::string::npos)
      << md;
  EXPECT_NE(
      md.find("| vanilla | 400 | energy (-LSE) | 50.0 | 75.0 | 60.0 | 40.0 | 90.0 | 95.5 | n/a | "
              "n/a | n/a |"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("| dreambox | ? | head | 25.0 | 50.0 | n/a | n/a |"), std::string::npos) << md;
  EXPECT_NE(md.find("vanilla, near: no OOD detection above 0.3"), std::string::npos) << md;
  const auto j = train::results_json({{"vanilla", vanilla}}, {"far"});
  EXPECT_EQ(j["detectors"][0]["detector"], "vanilla");
  EXPECT_DOUBLE_EQ(j["detectors"][0]["ood"]["far"]["AUROC"].get<double>(), 0.9);
}

// `copies` 100x100 images, each with a circle (label 0) at (10, 10, 50, 50) and a square (label 1)
// at (60, 60, 90, 95).
data::Dataset circle_and_square_images(std::size_t copies) {
  data::Dataset test;
  test.categories = {{1, "circle", ""}, {2, "square", ""}};
  data::ImageRecord image;
  image.width = image.height = 100;
  image.objects.push_back({data::Box{10, 10, 50, 50}, 0});
  image.objects.push_back({data::Box{60, 60, 90, 95}, 1});
  test.images.assign(copies, image);
  return test;
}

TEST(TrainEvaluation, MetricsOfPerfectAndSeparatedDetections) {
  const data::Dataset test = circle_and_square_images(2);
  const data::ImageRecord& image = test.images[0];
  std::vector<data::Detection> perfect;
  for (std::size_t i = 0; i < 2; ++i)
    for (const auto& o : image.objects) perfect.push_back({i, o.box, o.label, 0.9, 0.1});
  const auto id = train::detection_metrics(test, perfect);
  const train::ClassAccuracy all_right = train::class_accuracy(test, perfect, 0.5);
  EXPECT_EQ(all_right.right, 4);
  EXPECT_EQ(all_right.total, 4);
  EXPECT_EQ(all_right.majority, 2);
  EXPECT_DOUBLE_EQ(id["AP"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(id["VOC07_AP50"].get<double>(), 1.0);
  std::vector<data::Detection> ood{{0, data::Box{0, 0, 20, 20}, 0, 0.8, 0.9},
                                   {1, data::Box{0, 0, 20, 20}, 1, 0.7, 0.95}};
  const auto m = train::ood_metrics(perfect, ood);
  EXPECT_DOUBLE_EQ(m["AUROC"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(m["FPR95"].get<double>(), 0.0);
  EXPECT_TRUE(train::ood_metrics(perfect, {}).contains("error"));
  // The energy baselines rank by energy (higher = OOD), not by the head's ood_score.
  for (auto& d : perfect) d.energy = -5.0;
  for (auto& d : ood) d.energy = -1.0, d.ood_score = 0.0;
  EXPECT_DOUBLE_EQ(
      train::ood_metrics(perfect, ood, 0.5, train::OodScoreSource::energy)["AUROC"].get<double>(),
      1.0);
  EXPECT_DOUBLE_EQ(
      train::ood_metrics(perfect, ood, 0.5, train::OodScoreSource::head)["AUROC"].get<double>(),
      0.0);
}

// Class accuracy counts confident detections on objects (IoU >= 0.5 with the best-overlapping one)
// and compares their label with that object's; the majority share is what one class would get.
TEST(TrainEvaluation, ClassAccuracyOfDetectionsOnObjects) {
  const data::Dataset test = circle_and_square_images(1);
  const std::vector<data::Detection> dets = {
      {0, data::Box{10, 10, 50, 50}, 0, 0.9, 0},  // right class
      {0, data::Box{12, 10, 50, 52}, 1, 0.8, 0},  // on the circle, called square
      {0, data::Box{60, 60, 90, 95}, 1, 0.2, 0},  // right but below the score threshold
      {0, data::Box{0, 0, 30, 30}, 0, 0.9, 0},    // IoU < 0.5 with the circle: on no object
      {0, data::Box{61, 60, 90, 95}, 0, 0.7, 0},  // on the square, called circle
  };
  const train::ClassAccuracy a = train::class_accuracy(test, dets, 0.3);
  EXPECT_EQ(a.right, 1);
  EXPECT_EQ(a.total, 3);
  EXPECT_EQ(a.majority, 2);  // two of the three lie on the circle
  EXPECT_DOUBLE_EQ(a.value(), 1.0 / 3);
  const auto j = train::class_accuracy_json(a);
  EXPECT_DOUBLE_EQ(j["class_majority_share"].get<double>(), 2.0 / 3);
  EXPECT_EQ(j["class_accuracy_detections"], 3);
  EXPECT_EQ(train::class_accuracy(test, {}, 0.3).value(), 0.0);
}

}  // namespace
