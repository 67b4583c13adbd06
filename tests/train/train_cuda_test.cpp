// train_dreambox's detector training loop and `detect` with --device cuda (kernels in the SIMT
// emulator) against --device cpu on a tiny generated shapes set (issues 7 and 9), and the flag.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "data/coco.h"
#include "data/file_io.h"
#include "data/shapes/generator.h"
#include "engine/io/safetensors.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/train/cuda_compare.h"
#include "tests/train/parse_flags.h"
#include "train/detect.h"
#include "train/detector_stage.h"
#include "train/detector_training.h"

namespace fs = std::filesystem;

namespace {

using train_test::error_of;
using train_test::parse;

// This binary links the emulator backend: cuda is on offer and the default; one device only.
TEST(DeviceFlag, CudaIsTheDefaultWhenTheBackendIsAvailable) {
  SKIP_WITHOUT_CUDA_BACKEND();
  EXPECT_EQ(parse({"shapes"}).device, "cuda:0");
  EXPECT_EQ(parse({"shapes", "--device", "cuda"}).device, "cuda:0");
  EXPECT_EQ(parse({"shapes", "--device", "cuda:0"}).device, "cuda:0");
  EXPECT_EQ(parse({"shapes", "--device", "cpu"}).device, "cpu");
  EXPECT_EQ(error_of({"shapes", "--device", "cuda:1"}),
            "--device cuda:1: device index 1 out of range: the CUDA backend drives one device, "
            "cuda:0 (" +
                engine::cuda_backend::description() + ")");
  EXPECT_EQ(error_of({"shapes", "--device", "cuda:-1"}),
            "--device: expected cpu, cuda or cuda:N, got 'cuda:-1'");
  EXPECT_EQ(train::options_to_json(parse({"shapes"})).at("device"), "cuda:0");
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(data::read_text_file(path));
}

// Trains a tiny detector for two steps on the CPU (and, in the test that compares them, the same
// detector on cuda); the runs stay on disk.
class DetectorLoopOnCuda : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!engine::cuda_backend::available()) return;
    root_ =
        (fs::temp_directory_path() / ("dreambox_cuda_loop_" + std::to_string(::getpid()))).string();
    fs::remove_all(root_);
    data::shapes::ShapesConfig config;
    config.trainval_images = 4;
    config.test_images = 3;
    config.near_ood_images = 1;
    config.far_ood_images = 1;
    config.render.min_side = 64;
    config.render.max_side = 80;
    data::shapes::generate_shapes(root_, config);
    const auto layout = data::shapes::shapes_layout(root_);
    data::Diagnostics diag;
    train_set_ = data::read_coco(layout.trainval_json, layout.image_dir, diag);
    test_images_ = layout.image_dir;
    train_on("cpu");  // the cuda run: in the test that compares the two runs
  }
  static void TearDownTestSuite() {
    if (!root_.empty()) fs::remove_all(root_);
  }

  static train::Options options(const std::string& device) {
    auto o = parse({"shapes", "--device", device.c_str(), "--depth", "18", "--fpn-channels", "16",
                    "--representation", "32", "--train-sizes", "64", "--test-size", "64",
                    "--max-size", "96", "--warmup-steps", "2", "--max-steps", "2"});
    o.data_root = root_;
    o.run_dir = root_ + "/" + device.substr(0, 4);
    o.ood_head = true;
    return o;
  }

  static void train_on(const std::string& device) {
    const train::Options o = options(device);
    engine::manual_seed(7);
    models::FasterRcnn model(train::detector_config(o, 5));
    cuda_compare::spread_scores(model);
    model.to(engine::Device::parse(o.device));
    train::RunDirectory run(o.run_dir);
    const auto info =
        train::detector_info(o, *train::find_detector_variant("dreambox"), train_set_);
    ASSERT_EQ(train::train_detector(o, run, model, train_set_, info), 2);
  }

  static inline std::string root_, test_images_;
  static inline data::Dataset train_set_;
};

// Two steps (forward, backward, SGD with momentum) give the CPU's loss terms to 1e-6 relative
// (measured <= 1e-7) and the CPU's weights to 1e-5 of each tensor's largest entry.
TEST_F(DetectorLoopOnCuda, StepsGiveTheCpuLossesAndWeights) {
  SKIP_WITHOUT_CUDA_BACKEND();
  train_on("cuda:0");
  std::ifstream cpu_log(options("cpu").run_dir + "/log.jsonl"),
      cuda_log(options("cuda:0").run_dir + "/log.jsonl");
  int steps = 0;
  for (std::string a, b; std::getline(cpu_log, a) && std::getline(cuda_log, b); ++steps) {
    const auto want = nlohmann::json::parse(a), got = nlohmann::json::parse(b);
    for (const char* term : {"rpn_objectness", "rpn_box", "classifier", "box", "ood"}) {
      const double w = want["terms"][term], g = got["terms"][term];
      EXPECT_GT(w, 0) << "step " << steps << " " << term;
      EXPECT_NEAR(g, w, 1e-6 * w) << "step " << steps << " " << term;
    }
  }
  EXPECT_EQ(steps, 2);
  // The checkpoints (written from cuda through host copies) hold nearly the same weights.
  const auto cpu =
      engine::io::load_safetensors(options("cpu").run_dir + "/checkpoint_last.safetensors");
  const auto cuda =
      engine::io::load_safetensors(options("cuda:0").run_dir + "/checkpoint_last.safetensors");
  ASSERT_EQ(cuda.tensors.size(), cpu.tensors.size());
  for (std::size_t i = 0; i < cpu.tensors.size(); ++i) {
    const auto& [name, want] = cpu.tensors[i];
    ASSERT_EQ(cuda.tensors[i].first, name);
    if (!engine::is_floating(want.dtype())) continue;
    EXPECT_LE(cuda_compare::max_diff(cuda.tensors[i].second, want),
              1e-5 * cuda_compare::max_abs(want) + 1e-12)
        << name;
  }
}

// detect --device cuda on the CPU run's checkpoint: the detections of --device cpu, boxes to
// 2e-4 px in the original images (up to 80 px, 1.25x the 64 px input), scores, OOD scores and
// energies to 1e-5.
TEST_F(DetectorLoopOnCuda, DetectGivesTheCpuDetections) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<nlohmann::json> results;
  for (const char* device : {"cpu", "cuda:0"}) {
    train::DetectOptions d;
    d.weights = options("cpu").run_dir + "/checkpoint_last.safetensors";
    d.images = test_images_;
    d.out = root_ + "/detect_" + std::string(device).substr(0, 4);
    d.device = device;
    d.score_threshold = 0.0;
    d.ood_threshold = 0.5;
    d.draw = false;
    train::run_detect(d);
    results.push_back(read_json(d.out + "/detections.json"));
  }
  const auto& want = results[0];
  const auto& got = results[1];
  ASSERT_GT(want.size(), 20u);
  ASSERT_EQ(got.size(), want.size());
  auto near = [](const nlohmann::json& a, const nlohmann::json& b, double tolerance) {
    return std::abs(a.get<double>() - b.get<double>()) <= tolerance;
  };
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i]["image_id"], want[i]["image_id"]) << i;
    EXPECT_EQ(got[i]["category_id"], want[i]["category_id"]) << i;
    for (int k = 0; k < 4; ++k)
      EXPECT_TRUE(near(got[i]["bbox"][k], want[i]["bbox"][k], 2e-4)) << i << " bbox " << k;
    for (const char* key : {"score", "ood_score", "energy"})
      EXPECT_TRUE(near(got[i][key], want[i][key], 1e-5)) << i << " " << key;
  }
}

}  // namespace
