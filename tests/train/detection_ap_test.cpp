// train::coco_ap and train::voc07_ap on hand-made cases with answers worked out by hand: perfect,
// all wrong, duplicates, crowd and difficult GT, empty classes, the detection cap, bad input.
#include "train/metrics/detection_ap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using train::Box;
using train::Detection;
using train::GroundTruth;
using train::ImageEval;

const Box kA{10, 10, 60, 70}, kB{100, 120, 300, 260}, kFar{400, 400, 450, 450};

GroundTruth gt(Box b, int label) {
  return {b, label};
}
Detection det(Box b, double score, int label) {
  return {b, score, label};
}

TEST(CocoAp, PerfectDetectionsScoreOne) {
  const std::vector<ImageEval> images = {
      {{gt(kA, 0), gt(kB, 1)}, {det(kA, .9, 0), det(kB, .8, 1)}}};
  const auto r = train::coco_ap(images, 2);
  EXPECT_DOUBLE_EQ(r.ap, 1.0);
  EXPECT_DOUBLE_EQ(r.ap50, 1.0);
  EXPECT_DOUBLE_EQ(r.ap75, 1.0);
  EXPECT_DOUBLE_EQ(r.ap_small, -1.0);  // no GT under 32^2
  EXPECT_DOUBLE_EQ(r.ap_medium, 1.0);
  EXPECT_DOUBLE_EQ(r.ap_large, 1.0);
  EXPECT_DOUBLE_EQ(train::voc07_ap(images, 2).map, 1.0);
}

TEST(CocoAp, WrongClassOrPlaceScoresZero) {
  const std::vector<ImageEval> images = {
      {{gt(kA, 0), gt(kB, 1)}, {det(kA, .9, 1), det(kFar, .8, 0)}}};
  EXPECT_DOUBLE_EQ(train::coco_ap(images, 2).ap, 0.0);
  EXPECT_DOUBLE_EQ(train::voc07_ap(images, 2).map, 0.0);
}

TEST(CocoAp, NoDetectionsScoreZeroAndNoGtIsMinusOne) {
  const std::vector<ImageEval> images = {{{gt(kA, 0)}, {}}, {{}, {}}};
  EXPECT_DOUBLE_EQ(train::coco_ap(images, 1).ap, 0.0);
  EXPECT_DOUBLE_EQ(train::voc07_ap(images, 1).map, 0.0);
  const std::vector<ImageEval> nothing = {{{}, {det(kA, .9, 0)}}};
  EXPECT_DOUBLE_EQ(train::coco_ap(nothing, 1).ap, -1.0);
  EXPECT_DOUBLE_EQ(train::voc07_ap(nothing, 1).map, -1.0);
  EXPECT_DOUBLE_EQ(train::coco_ap({}, 3).ap, -1.0);
}

TEST(CocoAp, ClassWithoutGtIsLeftOutOfTheMean) {
  const std::vector<ImageEval> images = {{{gt(kA, 0)}, {det(kA, .9, 0), det(kB, .95, 1)}}};
  const auto r = train::coco_ap(images, 2);
  EXPECT_DOUBLE_EQ(r.ap, 1.0);
  EXPECT_DOUBLE_EQ(r.per_class_ap[1], -1.0);
  EXPECT_DOUBLE_EQ(train::voc07_ap(images, 2).per_class_ap[1], -1.0);
}

// TP, FP (duplicate), TP: recall .5 at precision 1, then 1 at 2/3.
TEST(CocoAp, DuplicateIsAFalsePositive) {
  const Box a2{11, 11, 60, 70};
  const std::vector<ImageEval> images = {
      {{gt(kA, 0), gt(kB, 0)}, {det(kA, .9, 0), det(a2, .85, 0), det(kB, .6, 0)}}};
  const double coco = (51 * 1.0 + 50 * (2.0 / 3.0)) / 101;
  EXPECT_NEAR(train::coco_ap(images, 1).ap, coco, 1e-12);
  const double voc = (6 * 1.0 + 5 * (2.0 / 3.0)) / 11;  // recall points 0..0.5 and 0.6..1
  EXPECT_NEAR(train::voc07_ap(images, 1).map, voc, 1e-12);
}

// A crowd GT absorbs every detection inside it: they count neither way in COCO.
TEST(CocoAp, CrowdAbsorbsDetections) {
  GroundTruth crowd{{0, 0, 200, 200}, 0};
  crowd.iscrowd = true;
  const Box real{300, 300, 380, 390};
  const std::vector<ImageEval> images = {
      {{crowd, gt(real, 0)},
       {det({10, 10, 60, 60}, .9, 0), det({100, 100, 150, 140}, .8, 0), det(real, .7, 0)}}};
  EXPECT_DOUBLE_EQ(train::coco_ap(images, 1).ap, 1.0);
}

// A difficult GT: its detection counts neither way in VOC; COCO counts it as an ordinary GT.
TEST(Voc07Ap, DifficultIsIgnored) {
  GroundTruth hard = gt(kA, 0);
  hard.difficult = true;
  const std::vector<ImageEval> images = {{{hard, gt(kB, 0)}, {det(kA, .9, 0), det(kB, .7, 0)}}};
  EXPECT_DOUBLE_EQ(train::voc07_ap(images, 1).map, 1.0);
  EXPECT_DOUBLE_EQ(train::coco_ap(images, 1).ap, 1.0);
  const std::vector<ImageEval> missed = {{{hard, gt(kB, 0)}, {det(kB, .7, 0)}}};
  EXPECT_DOUBLE_EQ(train::voc07_ap(missed, 1).map, 1.0);
  EXPECT_NEAR(train::coco_ap(missed, 1).ap, 51.0 / 101, 1e-12);
}

TEST(CocoAp, MaxDetsKeepsTheBestPerImageAndClass) {
  // Ten false positives outscore the one true detection: with max_dets 10 it is cut.
  ImageEval image{{gt(kA, 0)}, {det(kA, .1, 0)}};
  for (int i = 0; i < 10; ++i) image.dets.push_back(det({500.0 + i, 500, 510.0 + i, 510}, .5, 0));
  const std::vector<ImageEval> images = {image};
  EXPECT_DOUBLE_EQ(train::coco_ap(images, 1, {.max_dets = 10}).ap, 0.0);
  EXPECT_NEAR(train::coco_ap(images, 1).ap, 1.0 / 11, 1e-12);  // envelope: 1/11 everywhere
}

TEST(DetectionAp, BadInputIsAClearError) {
  const auto message = [](const std::vector<ImageEval>& images, int num_classes) {
    try {
      train::coco_ap(images, num_classes);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{{gt(kA, 3)}, {}}}, 2),
            "coco_ap: ground truth 0 of image 0: label 3 is outside [0, 2); labels are 0-based "
            "class indices");
  EXPECT_EQ(message({{{}, {det({5, 5, 1, 9}, .5, 0)}}}, 2),
            "coco_ap: detection 0 of image 0: box corners are inverted (need x2 >= x1, y2 >= y1)");
  EXPECT_EQ(message({{{}, {det(kA, NAN, 0)}}}, 2),
            "coco_ap: detection 0 of image 0: box or score is not finite");
  EXPECT_EQ(message({}, 0), "coco_ap: num_classes must be positive, got 0");
  EXPECT_THROW(train::voc07_ap(std::vector<ImageEval>{{{gt(kA, -1)}, {}}}, 2),
               std::invalid_argument);
}

}  // namespace
