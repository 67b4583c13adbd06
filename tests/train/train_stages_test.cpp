// train_dreambox's stages: option parsing (defaults, errors that name the flag), and the training
// loop on a tiny generated shapes set: checkpoint + resume gives exactly the uninterrupted weights.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/coco.h"
#include "data/shapes/generator.h"
#include "engine/ops.h"
#include "train/detector_training.h"
#include "train/evaluation.h"
#include "train/options.h"

namespace fs = std::filesystem;

namespace {

train::Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "train_dreambox");
  bool help = false;
  return train::parse_options(static_cast<int>(args.size()), args.data(), help);
}

std::string error_of(std::vector<const char*> args) {
  try {
    parse(std::move(args));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TrainOptions, DefaultsFlagsAndErrors) {
  const auto o =
      parse({"shapes", "--lr", "0.005", "--train-sizes=128,160", "--no-ood-head", "--depth", "34"});
  EXPECT_EQ(o.preset, "shapes");
  EXPECT_EQ(o.data_root, "datasets/shapes");
  EXPECT_DOUBLE_EQ(o.lr, 0.005);
  EXPECT_EQ(o.train_sizes, (std::vector<int>{128, 160}));
  EXPECT_FALSE(o.ood_head);
  EXPECT_EQ(o.depth, 34);
  EXPECT_NE(error_of({"shapes", "--bogus", "1"}).find("unknown flag --bogus"), std::string::npos);
  EXPECT_NE(error_of({"shapes", "--lr", "fast"}).find("--lr: expected a number"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--depth", "42"}).find("--depth: expected 18, 34, 50 or 101"),
            std::string::npos);
  EXPECT_NE(error_of({"shapes", "--epochs"}).find("--epochs needs a value"), std::string::npos);
  EXPECT_NE(error_of({"imagenet"}).find("unknown preset 'imagenet'"), std::string::npos);
  EXPECT_NE(error_of({"shapes", "--device", "cuda"}).find("only 'cpu'"), std::string::npos);
  EXPECT_NE(train::options_help().find("--ood-gt-mode VALUE"), std::string::npos);
  const auto voc = parse({"voc", "--batch-size", "4"});
  EXPECT_EQ(voc.depth, 50);
  EXPECT_EQ(voc.train_sizes.front(), 480);
  EXPECT_EQ(voc.train_sizes.back(), 800);
  EXPECT_EQ(voc.train_sizes.size(), 11u);
  EXPECT_EQ(voc.batch_size, 4);  // flags override the preset
  EXPECT_DOUBLE_EQ(voc.ood_score_threshold, 0.5);
}

class TrainLoop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = (fs::temp_directory_path() / "dreambox_train_loop_test").string();
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

TEST(TrainEvaluation, MetricsOfPerfectAndSeparatedDetections) {
  data::Dataset test;
  test.categories = {{1, "circle", ""}, {2, "square", ""}};
  data::ImageRecord image;
  image.width = image.height = 100;
  image.objects.push_back({data::Box{10, 10, 50, 50}, 0});
  image.objects.push_back({data::Box{60, 60, 90, 95}, 1});
  test.images = {image, image};
  std::vector<data::Detection> perfect;
  for (std::size_t i = 0; i < 2; ++i)
    for (const auto& o : image.objects) perfect.push_back({i, o.box, o.label, 0.9, 0.1});
  const auto id = train::detection_metrics(test, perfect);
  EXPECT_DOUBLE_EQ(id["AP"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(id["VOC07_AP50"].get<double>(), 1.0);
  std::vector<data::Detection> ood{{0, data::Box{0, 0, 20, 20}, 0, 0.8, 0.9},
                                   {1, data::Box{0, 0, 20, 20}, 1, 0.7, 0.95}};
  const auto m = train::ood_metrics(perfect, ood);
  EXPECT_DOUBLE_EQ(m["AUROC"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(m["FPR95"].get<double>(), 0.0);
  EXPECT_TRUE(train::ood_metrics(perfect, {}).contains("error"));
}

}  // namespace
