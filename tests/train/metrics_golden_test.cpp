// train::coco_ap, voc07_ap and the OOD metrics against tests/golden/metrics.json (scikit-learn and
// reference implementations of pycocotools' and the VOC devkit's rules, see gen_metrics.py).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/metrics/detection_ap.h"
#include "train/metrics/ood_metrics.h"

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_metrics.py";
constexpr double kTol = 1e-12;

const nlohmann::json& golden() {
  static const nlohmann::json j = [] {
    const std::string path = std::string(DREAMBOX_GOLDEN_DIR) + "/metrics.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open; " + kRegenerate);
    return nlohmann::json::parse(in);
  }();
  return j;
}

std::vector<train::ImageEval> images_of(const nlohmann::json& c) {
  std::vector<train::ImageEval> images;
  for (const auto& img : c.at("images")) {
    train::ImageEval e;
    for (const auto& g : img.at("gts"))
      e.gts.push_back(
          {{g[0], g[1], g[2], g[3]}, g[4], g[5].get<int>() != 0, g[6].get<int>() != 0, g[7]});
    for (const auto& d : img.at("dets")) e.dets.push_back({{d[0], d[1], d[2], d[3]}, d[4], d[5]});
    images.push_back(std::move(e));
  }
  return images;
}

void expect_per_class(const std::vector<double>& got,
                      const nlohmann::json& want,
                      const std::string& name) {
  ASSERT_EQ(got.size(), want.size()) << name;
  for (size_t k = 0; k < got.size(); ++k)
    EXPECT_NEAR(got[k], want[k].get<double>(), kTol) << name << " class " << k;
}

TEST(MetricsGolden, FormatVersion) {
  ASSERT_EQ(golden().at("format_version"), 1) << kRegenerate;
}

TEST(MetricsGolden, CocoAp) {
  for (const auto& c : golden().at("detection_cases")) {
    const std::string name = c.at("name");
    const auto r = train::coco_ap(images_of(c), c.at("num_classes"));
    const auto& w = c.at("coco");
    EXPECT_NEAR(r.ap, w.at("ap").get<double>(), kTol) << name;
    EXPECT_NEAR(r.ap50, w.at("ap50").get<double>(), kTol) << name;
    EXPECT_NEAR(r.ap75, w.at("ap75").get<double>(), kTol) << name;
    EXPECT_NEAR(r.ap_small, w.at("ap_small").get<double>(), kTol) << name;
    EXPECT_NEAR(r.ap_medium, w.at("ap_medium").get<double>(), kTol) << name;
    EXPECT_NEAR(r.ap_large, w.at("ap_large").get<double>(), kTol) << name;
    expect_per_class(r.per_class_ap, w.at("per_class_ap"), name);
  }
}

TEST(MetricsGolden, Voc07Ap) {
  for (const auto& c : golden().at("detection_cases")) {
    const std::string name = c.at("name");
    const auto r = train::voc07_ap(images_of(c), c.at("num_classes"));
    EXPECT_NEAR(r.map, c.at("voc07").at("map").get<double>(), kTol) << name;
    expect_per_class(r.per_class_ap, c.at("voc07").at("per_class_ap"), name);
  }
}

TEST(MetricsGolden, OodMetrics) {
  for (const auto& c : golden().at("ood_cases")) {
    const std::string name = c.at("name");
    const auto pos = c.at("pos").get<std::vector<double>>();
    const auto neg = c.at("neg").get<std::vector<double>>();
    const auto m = train::ood_metrics(pos, neg, c.at("recall_level").get<double>());
    EXPECT_NEAR(m.auroc, c.at("auroc").get<double>(), kTol) << name;
    EXPECT_NEAR(m.aupr_in, c.at("aupr_in").get<double>(), kTol) << name;
    EXPECT_NEAR(m.fpr95, c.at("fpr95").get<double>(), kTol) << name;
    EXPECT_EQ(m.num_id, pos.size());
    EXPECT_EQ(m.num_ood, neg.size());
  }
}

}  // namespace
