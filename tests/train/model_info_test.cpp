// A checkpoint's info record: what training writes (options_to_json + the variant's fields)
// rebuilds the same detector settings; hand-edited or foreign records name the file and field.
#include <gtest/gtest.h>

#include "train/model_info.h"

namespace {

train::Options voc_like() {
  train::Options o;
  o.preset = "voc";
  o.depth = 50;
  o.trainable_layers = 3;
  o.norm = "group";
  o.fpn_channels = 256;
  o.representation = 1024;
  o.test_size = 800;
  o.max_size = 1333;
  o.ood_head = false;
  o.ood_gt_mode = "faithful";
  o.ood_score_threshold = 0.5;
  return o;
}

std::string error_of(const nlohmann::json& info) {
  try {
    train::model_from_info(info, "run/ckpt.safetensors");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelInfo, RoundTripsTheDetectorSettings) {
  const auto o = voc_like();
  auto info = train::options_to_json(o);
  info["classes"] = {"cat", "dog"};
  const auto m = train::model_from_info(info, "x");
  EXPECT_EQ(m.options.preset, o.preset);
  EXPECT_EQ(m.options.depth, o.depth);
  EXPECT_EQ(m.options.trainable_layers, o.trainable_layers);
  EXPECT_EQ(m.options.norm, o.norm);
  EXPECT_EQ(m.options.fpn_channels, o.fpn_channels);
  EXPECT_EQ(m.options.representation, o.representation);
  EXPECT_EQ(m.options.test_size, o.test_size);
  EXPECT_EQ(m.options.max_size, o.max_size);
  EXPECT_EQ(m.options.ood_head, o.ood_head);
  EXPECT_EQ(m.options.ood_gt_mode, o.ood_gt_mode);
  EXPECT_DOUBLE_EQ(m.options.ood_score_threshold, o.ood_score_threshold);
  EXPECT_EQ(m.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(m.score, train::OodScoreSource::energy);  // no head: the energy is the OOD score
  info["ood_score"] = "head";
  EXPECT_EQ(train::model_from_info(info, "x").score, train::OodScoreSource::head);
}

TEST(ModelInfo, BadRecordsNameFileAndField) {
  auto info = train::options_to_json(voc_like());
  info["classes"] = {"cat"};
  auto without = info;
  without.erase("depth");
  EXPECT_NE(error_of(without).find("run/ckpt.safetensors': info has no 'depth'"),
            std::string::npos);
  auto bad = info;
  bad["depth"] = 42;
  EXPECT_NE(error_of(bad).find("'depth' must be 18, 34, 50 or 101"), std::string::npos);
  bad = info;
  bad["classes"] = {"cat", 3};
  EXPECT_NE(error_of(bad).find("'classes' must be a non-empty list of names"), std::string::npos);
  bad = info;
  bad["ood_head"] = "yes";
  EXPECT_NE(error_of(bad).find("'ood_head' must be true or false"), std::string::npos);
  bad = info;
  bad["ood_score"] = "vibes";
  EXPECT_NE(error_of(bad).find("'ood_score' must be one of head, energy"), std::string::npos);
  EXPECT_NE(error_of(nlohmann::json::array()).find("not a JSON object"), std::string::npos);
  auto older = info;  // runs before --norm was recorded
  older.erase("norm");
  EXPECT_EQ(train::model_from_info(older, "x").options.norm, "frozen");
}

}  // namespace
