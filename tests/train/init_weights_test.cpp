// --init-weights: torchvision-named files (written here from engine models, and converted from
// torchvision by scripts/convert_torchvision.py when Debian's torch is there) load by name.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/io/safetensors.h"
#include "engine/random.h"
#include "tests/models/converted_models.h"
#include "tests/train/parse_flags.h"
#include "train/detector_training.h"
#include "train/init_weights.h"

namespace fs = std::filesystem;

namespace {

// A small shapes-like detector: ResNet-`depth` with FPN 16 and a 32-wide box head.
train::Options small_options(int depth = 18, const char* variant = "torchvision") {
  auto o = train_test::parse({"shapes", "--fpn-channels", "16", "--representation", "32"});
  o.depth = depth;
  o.detector_variant = variant;
  return o;
}

models::FasterRcnn make(const train::Options& o, std::int64_t classes, std::uint64_t seed) {
  engine::manual_seed(seed);
  return models::FasterRcnn(train::detector_config(o, classes));
}

const engine::Tensor& tensor_of(const engine::nn::NamedTensors& tensors, const std::string& name) {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  throw std::runtime_error("no tensor " + name);
}

bool same(const engine::Tensor& a, const engine::Tensor& b) {
  return a.shape() == b.shape() &&
         a.contiguous().to_vector<float>() == b.contiguous().to_vector<float>();
}

class InitWeights : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dreambox_init_weights_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string save(const std::string& name, const engine::nn::NamedTensors& tensors) const {
    const std::string path = (dir_ / name).string();
    engine::io::save_safetensors(path, tensors);
    return path;
  }
  static std::string error_of(const std::string& path, models::FasterRcnn& model) {
    try {
      train::load_init_weights(path, model);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(InitWeights, WholeDetectorLoadsAndAPredictorForOtherClassesIsReinitialised) {
  auto file_options = small_options();
  file_options.ood_head = false;  // as torchvision: no OOD head in the file
  const auto source = make(file_options, 8, 1).state_dict();
  const std::string path = save("coco_like.safetensors", source);
  auto o = small_options();
  o.ood_head = true;
  auto model = make(o, 5, 2);
  const auto initial = model.state_dict();
  const train::InitWeightsReport r = train::load_init_weights(path, model);
  EXPECT_EQ(r.kind, "Faster R-CNN");
  EXPECT_NE(r.predictor.find("reinitialised for 6 classes (the file's has 9"), std::string::npos)
      << r.predictor;
  EXPECT_EQ(
      r.kept_initial,
      (std::vector<std::string>{
          "roi_heads.box_predictor.cls_score.weight", "roi_heads.box_predictor.cls_score.bias",
          "roi_heads.box_predictor.bbox_pred.weight", "roi_heads.box_predictor.bbox_pred.bias",
          "roi_heads.ood_head.fc_ood.weight", "roi_heads.ood_head.fc_ood.bias"}));
  EXPECT_EQ(r.loaded, source.size() - 4);
  EXPECT_NE(r.summary().find("kept as initialised: roi_heads.box_predictor (4) "
                             "roi_heads.ood_head (2)"),
            std::string::npos)
      << r.summary();
  for (const auto& [name, t] : model.state_dict()) {
    const bool kept =
        std::find(r.kept_initial.begin(), r.kept_initial.end(), name) != r.kept_initial.end();
    EXPECT_TRUE(same(t, kept ? tensor_of(initial, name) : tensor_of(source, name))) << name;
  }
  // Same number of classes: the predictor loads too.
  auto same_classes = make(o, 8, 3);
  const auto r2 = train::load_init_weights(path, same_classes);
  EXPECT_TRUE(r2.predictor.empty());
  EXPECT_EQ(r2.loaded, source.size());
  EXPECT_TRUE(same(tensor_of(same_classes.state_dict(), "roi_heads.box_predictor.bbox_pred.weight"),
                   tensor_of(source, "roi_heads.box_predictor.bbox_pred.weight")));
}

TEST_F(InitWeights, ResNetClassifierNamesGoUnderBackboneBody) {
  const auto o = small_options();
  const auto body = make(o, 5, 1).backbone->body->state_dict();  // conv1.weight, layer1.0...
  const std::string path = save("resnet18.safetensors", body);
  auto model = make(o, 5, 2);
  const auto r = train::load_init_weights(path, model);
  EXPECT_EQ(r.kind, "ResNet backbone");
  EXPECT_EQ(r.loaded, body.size());
  const auto state = model.state_dict();
  EXPECT_EQ(r.kept_initial.size(), state.size() - body.size());
  for (const auto& name : r.kept_initial) EXPECT_NE(name.rfind("backbone.body.", 0), 0u) << name;
  for (const auto& [name, t] : body)
    EXPECT_TRUE(same(tensor_of(state, "backbone.body." + name), t)) << name;
  EXPECT_NE(r.summary().find("backbone.fpn ("), std::string::npos) << r.summary();
}

TEST_F(InitWeights, BadFilesNameTheFileAndTheProblem) {
  auto o = small_options();
  auto model = make(o, 5, 2);
  EXPECT_NE(
      error_of((dir_ / "none.safetensors").string(), model).find("none.safetensors: no such file"),
      std::string::npos);
  const std::string garbage = (dir_ / "garbage.safetensors").string();
  std::ofstream(garbage) << "not a safetensors file";
  EXPECT_NE(error_of(garbage, model).find("--init-weights " + garbage + ": "), std::string::npos);

  engine::nn::NamedTensors checkpoint;
  for (const auto& [name, t] : model.state_dict()) checkpoint.emplace_back("model." + name, t);
  EXPECT_NE(error_of(save("ckpt.safetensors", checkpoint), model)
                .find("a train_dreambox checkpoint (model.* tensors); continue from it with "
                      "--weights"),
            std::string::npos);

  // Deeper file into a shallower detector: tensors it does not have; the reverse: lacking ones.
  const std::string r34 = save("r34.safetensors", make(small_options(34), 5, 1).state_dict());
  EXPECT_NE(error_of(r34, model).find("tensors the detector does not have"), std::string::npos);
  EXPECT_NE(error_of(r34, model).find("backbone.body.layer1.2."), std::string::npos)
      << error_of(r34, model);
  const std::string r18 = save("r18.safetensors", make(o, 5, 1).state_dict());
  auto deeper = make(small_options(34), 5, 2);
  EXPECT_NE(error_of(r18, deeper).find("lacks tensors of the Faster R-CNN"), std::string::npos);
  const std::string body18 = save("body18.safetensors", make(o, 5, 1).backbone->body->state_dict());
  EXPECT_NE(error_of(body18, deeper).find("lacks tensors of the ResNet backbone"),
            std::string::npos);
  // Another width: shapes differ.
  auto wider = o;
  wider.representation = 64;
  auto wide_model = make(wider, 5, 2);
  EXPECT_NE(error_of(r18, wide_model).find("shapes differ from the detector's"), std::string::npos);
  // Frozen batch norm statistics into a group-norm backbone.
  auto group = o;
  group.norm = "group";
  auto group_model = make(group, 5, 2);
  EXPECT_NE(error_of(body18, group_model).find("running_mean"), std::string::npos);

  // The class layouts: torchvision's predictor into the mmdet variant and back.
  auto mmdet_model = make(small_options(18, "mmdet"), 5, 2);
  EXPECT_NE(error_of(r18, mmdet_model)
                .find("convert the checkpoint with "
                      "scripts/convert_torchvision.py --background-last"),
            std::string::npos);
  const std::string mmdet_file =
      save("mmdet.safetensors", make(small_options(18, "mmdet"), 5, 1).state_dict());
  EXPECT_NE(error_of(mmdet_file, model).find("use --detector-variant mmdet"), std::string::npos);
  auto mmdet_again = make(small_options(18, "mmdet"), 5, 3);
  EXPECT_EQ(error_of(mmdet_file, mmdet_again), "");
}

// Debian's torchvision: a small FasterRCNN (ResNet-18, FPN 64, box head 128, converted with
// --num-classes 6) and a resnet18 classifier, converted by scripts/convert_torchvision.py.
TEST(InitWeightsFromTorchvision, ConvertedModelsLoadIntoATrainingDetector) {
  const test_support::ConvertedModels converted;
  if (converted.dir.empty())
    GTEST_SKIP() << "skipped: needs /usr/bin/python3 with torch and torchvision (apt-get install "
                    "python3-torch python3-torchvision) to convert torchvision models";
  if (converted.keep) return;  // the failure is already reported
  auto o = train_test::parse(
      {"shapes", "--fpn-channels", "64", "--representation", "128", "--depth", "18"});
  o.ood_head = true;
  {
    SCOPED_TRACE("detector.safetensors: 5 classes + background, as the data set");
    auto model = make(o, 5, 2);
    const auto r = train::load_init_weights(converted.path("detector.safetensors"), model);
    EXPECT_TRUE(r.predictor.empty());
    EXPECT_EQ(r.kept_initial, (std::vector<std::string>{"roi_heads.ood_head.fc_ood.weight",
                                                        "roi_heads.ood_head.fc_ood.bias"}));
    const auto file = converted.load("detector.safetensors");
    const auto state = model.state_dict();
    for (const auto& [name, t] : file.tensors) EXPECT_TRUE(same(tensor_of(state, name), t)) << name;
  }
  {
    SCOPED_TRACE("detector.safetensors into 3 classes: predictor reinitialised");
    auto model = make(o, 3, 2);
    EXPECT_FALSE(
        train::load_init_weights(converted.path("detector.safetensors"), model).predictor.empty());
  }
  {
    SCOPED_TRACE("resnet.safetensors: an ImageNet-style classifier body");
    auto model = make(o, 5, 2);
    const auto r = train::load_init_weights(converted.path("resnet.safetensors"), model);
    EXPECT_EQ(r.kind, "ResNet backbone");
    const auto file = converted.load("resnet.safetensors");
    EXPECT_EQ(r.loaded, file.tensors.size());
    const auto state = model.state_dict();
    for (const auto& [name, t] : file.tensors)
      EXPECT_TRUE(same(tensor_of(state, "backbone.body." + name), t)) << name;
  }
}

}  // namespace
