// scripts/convert_torchvision.py end to end: small torchvision models saved as .pth and converted
// (tests/golden/run_convert_check.py) load with no missing/unexpected keys and match torchvision.
#include <gtest/gtest.h>

#include <cstdlib>

#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/faster_rcnn.h"
#include "tests/models/converted_models.h"

using namespace engine;

namespace {

using test_support::ConvertedModels;

// max |got - want| <= tolerance * max |want|.
void expect_close(const Tensor& got,
                  const Tensor& want,
                  double tolerance,
                  const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.contiguous().to(DType::f32).to_vector<float>();
  const auto w = want.contiguous().to(DType::f32).to_vector<float>();
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(g[i] - w[i])));
    scale = std::max(scale, static_cast<double>(std::abs(w[i])));
  }
  EXPECT_LE(worst, tolerance * scale) << what << " (max |ref| " << scale << ")";
}

// Proposals [K, 4] in score order: row i of `got` must match (as expect_close) an unused row
// j of `want` with |i - j| <= 2. Neighbours may swap: proposals whose sigmoid scores tie in
// float32 (or differ by less than the two sides' rounding) have no defined order; a random-init
// R50 gives such pairs.
void expect_same_proposals(const Tensor& got, const Tensor& want, double tolerance) {
  ASSERT_EQ(got.shape(), want.shape()) << "proposals";
  const auto g = got.contiguous().to_vector<float>(), w = want.contiguous().to_vector<float>();
  double scale = 0;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::abs(v)));
  const auto rows = static_cast<std::int64_t>(w.size() / 4);
  std::vector<bool> used(static_cast<std::size_t>(rows), false);
  std::int64_t unmatched = 0, first = -1;
  for (std::int64_t i = 0; i < rows; ++i) {
    bool found = false;
    for (std::int64_t j = std::max<std::int64_t>(0, i - 2);
         j <= std::min(rows - 1, i + 2) && !found; ++j) {
      if (used[static_cast<std::size_t>(j)]) continue;
      double worst = 0;
      for (int k = 0; k < 4; ++k)
        worst =
            std::max(worst, static_cast<double>(std::abs(g[static_cast<std::size_t>(i * 4 + k)] -
                                                         w[static_cast<std::size_t>(j * 4 + k)])));
      if (worst <= tolerance * scale) found = used[static_cast<std::size_t>(j)] = true;
    }
    if (!found && unmatched++ == 0) first = i;
  }
  EXPECT_EQ(unmatched, 0) << "proposals: " << unmatched << " of " << rows
                          << " rows have no reference row within 2 places (first: row " << first
                          << ")";
}

nn::NamedTensors tensors_of(const io::SafetensorsFile& file) {
  nn::NamedTensors out;
  for (const auto& [name, t] : file.tensors) out.emplace_back(name, t);
  return out;
}

// Loads OUT/<tag>.safetensors into a detector built from `config` (must report nothing missing or
// unexpected) and compares P2..P6, the proposals and the detections with torchvision's.
void check_detector(const ConvertedModels& models,
                    const std::string& tag,
                    const models::FasterRcnnConfig& config) {
  const auto reference = models.load("reference.safetensors");
  const auto converted = models.load((tag + ".safetensors").c_str());
  models::FasterRcnn model(config);
  const nn::LoadReport report = model.load_state_dict(tensors_of(converted), false);
  EXPECT_TRUE(report.ok()) << report.message();
  model.eval();

  autograd::NoGradGuard no_grad;
  const Tensor image = reference.at(tag + ".image");
  const std::array<std::int64_t, 2> size{image.size(2), image.size(3)};
  const auto features = model.backbone->pyramid(image);
  for (std::size_t level = 0; level < features.size(); ++level)
    expect_close(features[level], reference.at(tag + ".p" + std::to_string(level + 2)), 1e-4,
                 std::string("P").append(std::to_string(level + 2)));
  Generator unused(0);
  const Tensor proposals = model.rpn->forward(features, size, {size}, nullptr, unused).proposals[0];
  expect_same_proposals(proposals, reference.at(tag + ".proposals"), 1e-4);
  const auto det = model.detect(image, {size})[0];
  expect_close(det.boxes, reference.at(tag + ".boxes"), 1e-3, "detection boxes");
  expect_close(det.scores, reference.at(tag + ".scores"), 1e-4, "detection scores");
  EXPECT_EQ(det.labels.to_vector<std::int64_t>(),
            reference.at(tag + ".labels").to_vector<std::int64_t>());
}

void check_resnet(const ConvertedModels& models) {
  SCOPED_TRACE("resnet18 classifier state dict");
  const auto reference = models.load("reference.safetensors");
  const auto converted = models.load("resnet.safetensors");
  models::ResNetBody body({.depth = 18});
  // fc.* and num_batches_tracked were dropped: the names are exactly the body's.
  const nn::LoadReport report = body.load_state_dict(tensors_of(converted), false);
  EXPECT_TRUE(report.ok()) << report.message();
  autograd::NoGradGuard no_grad;
  const auto c = body.features(reference.at("resnet.image"));
  for (std::size_t i = 0; i < c.size(); ++i)
    expect_close(c[i], reference.at("resnet.c" + std::to_string(i + 2)), 1e-4,
                 std::string("C").append(std::to_string(i + 2)));
}

// One test, so that the torchvision side (building, saving and converting) runs once.
TEST(ConvertTorchvision, ConvertedModelsLoadWithoutMissingKeysAndMatchTorchvision) {
  const ConvertedModels models;
  if (models.dir.empty())
    GTEST_SKIP() << "skipped: needs /usr/bin/python3 with torch and torchvision (apt-get install "
                    "python3-torch python3-torchvision) to build and convert the models";
  if (models.keep) return;          // the failure is already reported
  models::FasterRcnnConfig config;  // run_convert_check.py's small detector
  config.backbone = {.depth = 18, .trainable_layers = 3};
  config.fpn_channels = 64;
  config.roi_heads.representation = 128;
  config.roi_heads.num_classes = 6;  // resized by --num-classes 6
  config.roi_heads.ood_head = false;
  config.rpn.pre_nms_top_n_test = 300;
  config.rpn.post_nms_top_n_test = 100;
  {
    SCOPED_TRACE("fasterrcnn (ResNet-18 FPN 64) saved whole, converted with --num-classes 6");
    check_detector(models, "detector", config);
  }
  check_resnet(models);
}

// torchvision's full fasterrcnn_resnet50_fpn (random init) converted with --num-classes 21, on a
// 512x512 image. Slow and a few hundred MB of temporary files: run with DREAMBOX_FULL_R50=1.
TEST(ConvertTorchvision, FullSizeR50OnRequest) {
  const char* wanted = std::getenv("DREAMBOX_FULL_R50");
  if (wanted == nullptr || std::string(wanted) != "1")
    GTEST_SKIP() << "local check: set DREAMBOX_FULL_R50=1 to run it";
  const ConvertedModels models("--full-r50");
  if (models.dir.empty()) GTEST_SKIP() << "skipped: needs /usr/bin/python3 with torchvision";
  if (models.keep) return;
  models::FasterRcnnConfig config;  // torchvision's defaults
  config.roi_heads.ood_head = false;
  check_detector(models, "r50", config);
}

}  // namespace
