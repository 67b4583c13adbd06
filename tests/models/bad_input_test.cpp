// Bad input to the detector: images without boxes train, while bad boxes, labels outside the
// classes and checkpoints with wrong names or shapes give errors that name the problem.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/ops.h"
#include "models/faster_rcnn.h"

using namespace engine;

namespace {

models::FasterRcnnConfig tiny_config() {
  models::FasterRcnnConfig config;
  config.backbone = {.depth = 18, .trainable_layers = 3};
  config.fpn_channels = 16;
  config.roi_heads.num_classes = 6;
  config.roi_heads.representation = 32;
  config.rpn.batch_size_per_image = 32;
  config.roi_heads.batch_size_per_image = 32;
  return config;
}

struct Detector {
  models::FasterRcnn model{tiny_config()};
  Generator gen{4};
  Tensor image = randn({1, 3, 64, 64}, gen);
  models::FasterRcnnLosses run(const models::DetectionTargets& t) {
    return model.losses(image, {{64, 64}}, {t}, gen);
  }
};

models::DetectionTargets one_box(std::vector<float> box, std::int64_t label) {
  return {from_vector<float>(box, {1, 4}), from_vector<std::int64_t>({label}), {}};
}

// Runs stmt, expects an engine::Error whose message contains `part`.
#define EXPECT_ERROR_WITH(stmt, part)                                             \
  do {                                                                            \
    try {                                                                         \
      stmt;                                                                       \
      ADD_FAILURE() << "no error from " #stmt;                                    \
    } catch (const Error& e) {                                                    \
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what(); \
    }                                                                             \
  } while (0)

TEST(DetectorBadInput, ImageWithoutBoxesTrainsOnBackgroundOnly) {
  Detector d;
  const std::vector<models::DetectionTargets> empties{
      {zeros({0, 4}), from_vector(std::vector<std::int64_t>{}), {}},  // empty tensors
      {}};                                                            // nothing at all
  for (const auto& t : empties) {
    const auto losses = d.run(t);
    EXPECT_TRUE(std::isfinite(losses.total().item()));
    EXPECT_GT(losses.rpn_objectness.item(), 0.0);
    EXPECT_GT(losses.classifier.item(), 0.0);
    EXPECT_EQ(losses.rpn_box.item(), 0.0);  // no positives: nothing to regress
    EXPECT_EQ(losses.box.item(), 0.0);
    d.model.zero_grad();
    losses.total().backward();
    for (const auto& [name, p] : d.model.named_parameters())
      if (name.starts_with("roi_heads.box_predictor.cls_score")) {
        EXPECT_TRUE(p.grad().defined()) << name;
      }
  }
}

TEST(DetectorBadInput, BoxesPartlyOutsideTheImageAreUsedAsGiven) {
  Detector d;
  const auto losses = d.run(one_box({-10, 20, 40, 90}, 2));
  EXPECT_TRUE(std::isfinite(losses.total().item()));
  EXPECT_GT(losses.box.item(), 0.0);
}

TEST(DetectorBadInput, BadBoxesAndLabelsAreErrors) {
  Detector d;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_ERROR_WITH(d.run(one_box({10, 10, 30, 30}, 6)), "box 0: class label 6 outside 1..5");
  EXPECT_ERROR_WITH(d.run(one_box({10, 10, 30, 30}, 0)), "class label 0 outside 1..5");
  EXPECT_ERROR_WITH(d.run(one_box({10, 10, 30, -1}, -3)), "class label -3");
  EXPECT_ERROR_WITH(d.run(one_box({30, 10, 30, 40}, 1)), "degenerate box [30, 10, 30, 40]");
  EXPECT_ERROR_WITH(d.run(one_box({10, 40, 30, 20}, 1)), "degenerate box");
  EXPECT_ERROR_WITH(d.run(one_box({10, nan, 30, 20}, 1)), "coordinates are not finite");
  EXPECT_ERROR_WITH(d.run(one_box({70, 10, 90, 40}, 1)), "lies outside the 64x64 image");
  EXPECT_ERROR_WITH(d.run(one_box({-30, -30, -2, 5}, 1)), "lies outside");
  EXPECT_ERROR_WITH(
      d.run({from_vector<float>({1, 2, 3}, {1, 3}), from_vector<std::int64_t>({1}), {}}),
      "boxes must be a float [G, 4] tensor");
  EXPECT_ERROR_WITH(
      d.run({from_vector<float>({1, 2, 3, 4}, {1, 4}), from_vector<std::int64_t>({1, 2}), {}}),
      "labels must be an integer [1] tensor");
  EXPECT_ERROR_WITH(d.run({from_vector<float>({1, 2, 3, 4}, {1, 4}), from_vector<float>({1}), {}}),
                    "labels must be an integer");
  EXPECT_ERROR_WITH(d.run({from_vector<float>({1, 2, 3, 4}, {1, 4}), from_vector<std::int64_t>({1}),
                           from_vector<bool>({true, false})}),
                    "ood flags must be [1]");
  EXPECT_ERROR_WITH(d.model.losses(d.image, {{64, 64}}, {}, d.gen), "0 target lists for 1 images");
}

TEST(DetectorBadInput, CheckpointWithWrongNamesOrShapesIsReported) {
  models::FasterRcnn model(tiny_config());
  // A checkpoint of another class count, in the background-last layout, with a renamed tensor.
  auto other_config = tiny_config();
  other_config.roi_heads.num_classes = 21;
  other_config.roi_heads.background_last = true;
  nn::NamedTensors checkpoint = models::FasterRcnn(other_config).state_dict();
  for (auto& [name, t] : checkpoint)
    if (name == "backbone.fpn.inner_blocks.0.0.weight") name = "backbone.fpn.inner_blocks.0.weight";
  const nn::LoadReport report = model.load_state_dict(checkpoint, false);
  EXPECT_EQ(report.missing, std::vector<std::string>{"backbone.fpn.inner_blocks.0.0.weight"});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"backbone.fpn.inner_blocks.0.weight"});
  ASSERT_EQ(report.mismatched.size(), 4u);  // cls_score and bbox_pred, weight and bias
  EXPECT_EQ(report.mismatched[0],
            "roi_heads.box_predictor.cls_score.weight: module [6, 32] vs source [21, 32]");
  EXPECT_EQ(report.mismatched[2],
            "roi_heads.box_predictor.bbox_pred.weight: module [24, 32] vs source [80, 32]");
  EXPECT_ERROR_WITH(model.load_state_dict(checkpoint),
                    "missing key: backbone.fpn.inner_blocks.0.0");
}

}  // namespace
