// `train_dreambox detect` end to end on a detector trained a few steps on `shapes` images with
// pasted novel shapes as outliers: it reproduces the evaluation stage's detections bit for bit,
// its outputs round-trip, bad inputs give clear messages, torchvision-named weights load.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "data/coco.h"
#include "data/detections.h"
#include "data/file_io.h"
#include "data/shapes/render.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "train/detect.h"
#include "train/detector_eval.h"
#include "train/detector_stage.h"
#include "train/detector_training.h"
#include "train/ood_threshold.h"

namespace fs = std::filesystem;
using data::shapes::Family;

namespace {

// An ID shapes image with one shape of `novel` family pasted over it (marked ood). ID objects
// the pasted shape covers heavily are dropped.
struct Pasted {
  data::Image image;
  std::vector<data::Object> objects;
};

Pasted pasted_image(std::uint64_t seed, Family novel, int side) {
  data::shapes::RenderOptions ro;
  ro.min_side = ro.max_side = side;
  ro.min_objects = 1;
  ro.max_objects = 2;
  auto id = data::shapes::render_image(Family::id, seed, ro);
  ro.max_objects = 1;
  const auto ood = data::shapes::render_image(novel, seed + 7919, ro);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      if (ood.owner[static_cast<std::size_t>(y * side + x)] == 0)
        std::copy_n(ood.image.at(x, y), 3, id.image.at(x, y));
  Pasted p{std::move(id.image), {}};
  data::Object outlier;
  outlier.box = ood.objects[0].box;
  outlier.label = 0;  // outliers keep a valid label; the OOD head trains on the flag
  outlier.ood = true;
  for (const auto& o : id.objects)
    if (data::iou(o.box, outlier.box) < 0.2) p.objects.push_back({o.box, o.label});
  p.objects.push_back(outlier);
  return p;
}

// Writes `count` pasted images as PNG under `dir` and returns them as a data set.
data::Dataset pasted_set(const fs::path& dir,
                         std::uint64_t seed,
                         int count,
                         Family novel,
                         int side,
                         bool keep_outliers) {
  fs::create_directories(dir);
  data::Dataset set;
  set.image_root = dir.string();
  for (const auto& name : data::shapes::class_names(Family::id))
    set.categories.push_back({static_cast<std::int64_t>(set.categories.size() + 1), name, ""});
  for (int i = 0; i < count; ++i) {
    Pasted p = pasted_image(seed + static_cast<std::uint64_t>(i), novel, side);
    data::ImageRecord r;
    r.id = std::to_string(i + 1);
    r.numeric_id = true;
    r.file_name = "img" + std::to_string(100 + i) + ".png";
    r.width = r.height = side;
    for (const auto& o : p.objects)
      if (keep_outliers || !o.ood) r.objects.push_back(o);
    data::save_image(p.image, (dir / r.file_name).string());
    set.images.push_back(r);
  }
  set.has_ood_field = true;
  return set;
}

std::string error_of(const train::DetectOptions& d) {
  try {
    train::run_detect(d);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

class DetectOnShapes : public ::testing::Test {
 protected:
  static constexpr int kSide = 64;
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("dreambox_detect_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    const data::Dataset train_set =
        pasted_set(root_ / "train", 1000, 48, Family::near_ood, kSide, true);
    id_test_ = pasted_set(root_ / "id_test", 5000, 6, Family::near_ood, kSide, false);
    // ID test images: no pasted shape (rendered again without it).
    for (std::size_t i = 0; i < id_test_.images.size(); ++i) {
      data::shapes::RenderOptions ro;
      ro.min_side = ro.max_side = kSide;
      ro.min_objects = 1;
      ro.max_objects = 2;
      const auto r = data::shapes::render_image(Family::id, 6000 + i, ro);
      data::save_image(r.image, id_test_.image_path(id_test_.images[i]));
      id_test_.images[i].objects.clear();
      for (const auto& o : r.objects) id_test_.images[i].objects.push_back({o.box, o.label});
    }
    novel_test_ = pasted_set(root_ / "novel", 7000, 8, Family::far_ood, kSide, true);

    bool help = false;
    static std::string S = std::to_string(kSide);
    const std::vector<const char*> args = {
        "train_dreambox",     "shapes",  "--depth",        "18",      "--fpn-channels", "32",
        "--representation",   "64",      "--train-sizes",  S.c_str(), "--test-size",    S.c_str(),
        "--max-size",         S.c_str(), "--warmup-steps", "10",      "--lr",           "0.02",
        "--checkpoint-every", "1000",    "--batch-size",   "2"};
    options_ = train::parse_options(static_cast<int>(args.size()), args.data(), help);
    options_.run_dir = (root_ / "run").string();
    options_.max_steps = kSteps;
    options_.ood_score_threshold = 0.05;  // what the OOD threshold is measured on, so few steps do
    options_.epochs = 1000;
    engine::manual_seed(3);
    models::FasterRcnn model(train::detector_config(options_, 5));
    train::RunDirectory run(options_.run_dir);
    const auto info =
        train::detector_info(options_, *train::find_detector_variant("dreambox"), train_set);
    train::train_detector(options_, run, model, train_set, info);
    // The evaluation stage: ID test detections and the OOD threshold kept with the checkpoint.
    id_detections_ = train::run_detector(model, id_test_, options_, "test (ID)");
    data::write_detections(run.file("detections_test.json"), id_test_, id_detections_);
    const auto record =
        train::record_ood_threshold(id_detections_, options_.ood_score_threshold,
                                    train::OodScoreSource::head, run.checkpoint_path());
    std::printf("evaluation: %zu ID detections, OOD threshold %s\n", id_detections_.size(),
                record.dump().c_str());
    checkpoint_ = run.checkpoint_path();
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static train::DetectOptions detect_options(const std::string& images, const std::string& out) {
    train::DetectOptions d;
    d.weights = checkpoint_;
    d.images = images;
    d.out = (root_ / out).string();
    d.batch_size = options_.batch_size;
    return d;
  }
  static nlohmann::json read_json(const std::string& path) {
    return nlohmann::json::parse(data::read_text_file(path));
  }

  static void MatchesTheEvaluationStageBitForBit();
  static void JsonRoundTripsThroughTheDataLayer();
  static void BadImagesAreSkippedByName();
  static void ClearMessagesForMissingWeightsEmptyFolderAndNoImages();
  static void TorchvisionNamedWeightsTakeTheirClassesFromFlags();
  static void BackgroundLastWeightsGiveTheSameDetections(
      const std::vector<std::pair<std::string, engine::Tensor>>& background_first,
      train::DetectOptions d,
      const nlohmann::json& expected);

  static constexpr std::int64_t kSteps = 80;  // enough for detections above the 0.05 floor
  static inline fs::path root_;
  static inline data::Dataset id_test_, novel_test_;
  static inline train::Options options_;
  static inline std::vector<data::Detection> id_detections_;
  static inline std::string checkpoint_;
};

void DetectOnShapes::MatchesTheEvaluationStageBitForBit() {
  // The ID test images in the evaluation's order, through a list file, every detection kept.
  const fs::path list = root_ / "id_test.txt";
  {
    std::ofstream out(list);
    out << "# the evaluation's test images\n";
    for (const auto& r : id_test_.images) out << "id_test/" << r.file_name << "\n";
  }
  auto d = detect_options(list.string(), "out_id");
  d.score_threshold = 0.0;
  const auto summary = train::run_detect(d);
  EXPECT_EQ(summary.images, id_test_.images.size());
  EXPECT_TRUE(summary.skipped.empty());
  const auto evaluated = read_json(options_.run_dir + "/detections_test.json");
  const auto detected = read_json(d.out + "/detections.json");
  ASSERT_GT(evaluated.size(), 0u);
  ASSERT_EQ(detected.size(), evaluated.size());
  for (std::size_t i = 0; i < evaluated.size(); ++i) {
    for (const char* key : {"bbox", "score", "category_id", "ood_score", "energy"})
      EXPECT_EQ(detected[i][key], evaluated[i][key]) << "detection " << i << " " << key;
    // Same image: both data sets number the images 1.. in the same order.
    EXPECT_EQ(detected[i]["image_id"], evaluated[i]["image_id"]) << "detection " << i;
  }
  // The default OOD threshold is the one evaluation stored: 95% of ID detections stay known.
  EXPECT_DOUBLE_EQ(summary.ood_threshold,
                   train::ood_threshold_at_id_recall(id_detections_, options_.ood_score_threshold));
}

void DetectOnShapes::JsonRoundTripsThroughTheDataLayer() {
  auto d = detect_options(novel_test_.image_root, "out_roundtrip");
  d.draw = false;
  d.score_threshold = 0.05;
  train::run_detect(d);
  const auto written = read_json(d.out + "/detections.json");
  data::Diagnostics diag;
  const auto images = data::read_coco(d.out + "/images.json", novel_test_.image_root, diag);
  EXPECT_EQ(images.class_names(), data::shapes::class_names(Family::id));
  const auto back = data::read_detections(d.out + "/detections.json", images);
  ASSERT_EQ(back.size(), written.size());
  ASSERT_GT(back.size(), 0u);
  const auto again = data::detections_to_json(images, back);
  for (std::size_t i = 0; i < back.size(); ++i) {
    for (const char* key : {"image_id", "score", "category_id", "ood_score", "energy"})
      EXPECT_EQ(again[i][key], written[i][key]) << i << " " << key;
    for (int k = 0; k < 4; ++k)
      EXPECT_NEAR(again[i]["bbox"][k].get<double>(), written[i]["bbox"][k].get<double>(), 1e-9);
    EXPECT_EQ(written[i]["file_name"].get<std::string>(),
              images.image_path(images.images[back[i].image]));
    EXPECT_EQ(written[i]["category"], images.categories[back[i].label].name);
    EXPECT_EQ(
        written[i]["unknown"],
        back[i].ood_score > read_json(d.out + "/summary.json")["ood_threshold"].get<double>());
    EXPECT_GT(back[i].score, 0.05);
  }
  EXPECT_FALSE(fs::exists(fs::path(d.out) / "images"));
}

void DetectOnShapes::BadImagesAreSkippedByName() {
  const fs::path dir = root_ / "mixed";
  fs::create_directories(dir / "sub");
  fs::copy_file(novel_test_.image_path(novel_test_.images[0]), dir / "good.png");
  fs::copy_file(novel_test_.image_path(novel_test_.images[1]), dir / "sub" / "good.png");
  {
    std::ofstream(dir / "not_an_image.jpg") << "hello";
    // A PNG whose header is fine but whose pixel data is cut off: fails only when decoded.
    const auto bytes = data::read_file_bytes(novel_test_.image_path(novel_test_.images[2]));
    data::write_file((dir / "truncated.png").string(), std::span(bytes.data(), bytes.size() / 2));
  }
  auto d = detect_options(dir.string(), "out_mixed");
  d.batch_size = 3;
  const auto summary = train::run_detect(d);
  EXPECT_EQ(summary.images, 2u);
  ASSERT_EQ(summary.skipped.size(), 2u);
  std::string all;
  for (const auto& s : summary.skipped) all += s + "\n";
  EXPECT_NE(all.find("not_an_image.jpg"), std::string::npos) << all;
  EXPECT_NE(all.find("truncated.png"), std::string::npos) << all;
  EXPECT_TRUE(fs::exists(fs::path(d.out) / "images" / "good.png"));
  EXPECT_TRUE(fs::exists(fs::path(d.out) / "images" / "sub" / "good.png"));
  const auto s = read_json(d.out + "/summary.json");
  EXPECT_EQ(s["images"], 2);
  EXPECT_EQ(s["skipped"], 2);
}

void DetectOnShapes::ClearMessagesForMissingWeightsEmptyFolderAndNoImages() {
  auto d = detect_options(novel_test_.image_root, "out_errors");
  d.weights = (root_ / "no_such.safetensors").string();
  EXPECT_NE(error_of(d).find("no_such.safetensors: no such file"), std::string::npos);
  d = detect_options((root_ / "empty").string(), "out_errors");
  fs::create_directories(root_ / "empty" / "deeper");
  EXPECT_NE(error_of(d).find("no JPEG or PNG images in this folder"), std::string::npos);
  d.images = (root_ / "nowhere").string();
  EXPECT_NE(error_of(d).find("nowhere: no such file or folder"), std::string::npos);
  std::ofstream(root_ / "broken.png") << "not a png";
  d.images = (root_ / "broken.png").string();
  EXPECT_NE(error_of(d).find("none of the 1 images could be read"), std::string::npos);
  // A file that is not a detector at all.
  engine::io::save_safetensors((root_ / "other.safetensors").string(), {{"w", engine::rand({2})}});
  d = detect_options(novel_test_.image_root, "out_errors");
  d.weights = (root_ / "other.safetensors").string();
  EXPECT_NE(error_of(d).find("neither a train_dreambox checkpoint"), std::string::npos);
}

// The same weights in MMDetection's predictor layout (what scripts/convert_torchvision.py
// --background-last writes): class rows [1..N-1, 0], no background box deltas. detect finds the
// layout from the shapes and gives the same detections.
void DetectOnShapes::BackgroundLastWeightsGiveTheSameDetections(
    const std::vector<std::pair<std::string, engine::Tensor>>& background_first,
    train::DetectOptions d,
    const nlohmann::json& expected) {
  std::vector<std::pair<std::string, engine::Tensor>> moved;
  for (const auto& [name, t] : background_first) {
    engine::Tensor u = t;
    if (name.rfind("roi_heads.box_predictor.cls_score.", 0) == 0)  // [classes + 1, ...]
      u = engine::cat({t.narrow(0, 1, t.size(0) - 1), t.narrow(0, 0, 1)}, 0).contiguous();
    else if (name.rfind("roi_heads.box_predictor.bbox_pred.", 0) == 0)  // [4 (classes + 1), ...]
      u = t.narrow(0, 4, t.size(0) - 4).contiguous();
    moved.emplace_back(name, u);
  }
  d.weights = (root_ / "background_last.safetensors").string();
  d.out = (root_ / "out_background_last").string();
  engine::io::save_safetensors(d.weights, moved);
  train::run_detect(d);
  const auto got = read_json(d.out + "/detections.json");
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i]["category"], expected[i]["category"]) << i;
    EXPECT_EQ(got[i]["bbox"], expected[i]["bbox"]) << i;  // the same deltas decode the same boxes
    // Softmax and logsumexp sum the same logits in another order: a few f32 ulps apart at most.
    for (const char* key : {"score", "ood_score", "energy"})
      EXPECT_NEAR(got[i][key].get<double>(), expected[i][key].get<double>(), 1e-5) << key << " " << i;
  }
  // A predictor that fits neither layout is named.
  for (auto& [name, t] : moved)
    if (name == "roi_heads.box_predictor.bbox_pred.weight") t = t.narrow(0, 0, t.size(0) - 1);
  engine::io::save_safetensors(d.weights, moved);
  EXPECT_NE(error_of(d).find("(background first) or"), std::string::npos);
}

void DetectOnShapes::TorchvisionNamedWeightsTakeTheirClassesFromFlags() {
  // The checkpoint's model saved under torchvision's names alone (what the export script writes).
  const auto file = engine::io::load_safetensors(checkpoint_);
  std::vector<std::pair<std::string, engine::Tensor>> plain;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind("model.", 0) == 0) plain.emplace_back(name.substr(6), t);
  const std::string path = (root_ / "torchvision_named.safetensors").string();
  engine::io::save_safetensors(path, plain);
  auto d = detect_options(novel_test_.image_root, "out_tv");
  d.weights = path;
  d.depth = 18;
  d.fpn_channels = options_.fpn_channels;
  d.representation = options_.representation;
  d.test_size = options_.test_size;
  d.max_size = options_.max_size;
  d.draw = false;
  d.score_threshold = 0.05;
  EXPECT_NE(error_of(d).find("no OOD threshold stored"), std::string::npos);  // it has the head
  d.ood_threshold = 0.5;
  d.classes = "a,b,c";
  EXPECT_NE(error_of(d).find("--classes names 3 classes but the weights"), std::string::npos);
  d.classes = "c1, c2,c3,c4 ,c5";
  const auto summary = train::run_detect(d);
  EXPECT_EQ(summary.images, novel_test_.images.size());
  const auto written = read_json(d.out + "/detections.json");
  ASSERT_GT(written.size(), 0u);
  EXPECT_EQ(written[0]["category"].get<std::string>().substr(0, 1), "c");
  BackgroundLastWeightsGiveTheSameDetections(plain, d, written);
  d.depth = 50;  // a wrong architecture is named, not a crash
  EXPECT_NE(error_of(d).find("set --depth, --fpn-channels and --representation"),
            std::string::npos);
}

// One test (one training) for all checks: CTest runs every gtest case in its own process, and the
// fixture's training is what costs time.
TEST_F(DetectOnShapes, EndToEnd) {
  {
    SCOPED_TRACE("MatchesTheEvaluationStageBitForBit");
    MatchesTheEvaluationStageBitForBit();
  }
  {
    SCOPED_TRACE("JsonRoundTripsThroughTheDataLayer");
    JsonRoundTripsThroughTheDataLayer();
  }
  {
    SCOPED_TRACE("BadImagesAreSkippedByName");
    BadImagesAreSkippedByName();
  }
  {
    SCOPED_TRACE("ClearMessagesForMissingWeightsEmptyFolderAndNoImages");
    ClearMessagesForMissingWeightsEmptyFolderAndNoImages();
  }
  {
    SCOPED_TRACE("TorchvisionNamedWeightsTakeTheirClassesFromFlags");
    TorchvisionNamedWeightsTakeTheirClassesFromFlags();
  }
}

}  // namespace
