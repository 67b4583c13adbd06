// train_dreambox: the program users run. `shapes` generates the synthetic data set (once) and
// trains + evaluates the detector on a CPU in minutes; `voc` runs the same stages on PASCAL VOC.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "data/coco.h"
#include "data/error.h"
#include "data/shapes/generator.h"
#include "data/voc.h"
#include "engine/error.h"
#include "train/detector_eval.h"
#include "train/detector_training.h"
#include "train/evaluation.h"
#include "train/options.h"
#include "train/run_dir.h"
#include "train/threading.h"

namespace fs = std::filesystem;

namespace {

struct DataSets {
  data::Dataset train, test;
  std::vector<std::pair<std::string, data::Dataset>> ood;  // name -> OOD evaluation set
};

DataSets shapes_data(const train::Options& o) {
  const auto layout = data::shapes::shapes_layout(o.data_root);
  if (!fs::exists(layout.trainval_json)) {
    std::printf("generating the shapes data set in %s (once; later runs reuse it)\n",
                o.data_root.c_str());
    data::shapes::ShapesConfig config;
    config.seed = 0;
    data::shapes::generate_shapes(o.data_root, config);
  }
  data::Diagnostics diag;
  DataSets d;
  d.train = data::read_coco(layout.trainval_json, layout.image_dir, diag);
  d.test = data::read_coco(layout.test_json, layout.image_dir, diag);
  d.ood.emplace_back("near", data::read_coco(layout.near_json, layout.near_dir, diag));
  d.ood.emplace_back("far", data::read_coco(layout.far_json, layout.far_dir, diag));
  return d;
}

DataSets voc_data(const train::Options& o) {
  const std::string devkit = o.data_root + "/VOCdevkit";
  if (!fs::exists(devkit + "/VOC2007"))
    throw std::runtime_error(
        "PASCAL VOC not found: looked for " + devkit +
        "/VOC2007 (and VOC2012). Download VOCtrainval_06-Nov-2007, VOCtest_06-Nov-2007 and "
        "VOCtrainval_11-May-2012 from the PASCAL VOC site and extract them under " +
        o.data_root +
        ", or pass --data-root. To try the pipeline without VOC: train_dreambox shapes");
  data::Diagnostics diag;
  DataSets d;
  d.train = data::read_voc(
      devkit, fs::exists(devkit + "/VOC2012") ? "07+12 trainval" : "07 trainval", diag);
  d.test = data::read_voc(devkit, "07 test", diag);
  for (const auto& [name, json, images] :
       {std::tuple<std::string, std::string, std::string>{
            "coco", o.data_root + "/coco/instances_val2017_ood_rm_overlap.json",
            o.data_root + "/coco/val2017"},
        {"openimages",
         o.data_root + "/OpenImages/ood_classes_rm_overlap/COCO-Format/val_coco_format.json",
         o.data_root + "/OpenImages/ood_classes_rm_overlap/images"}}) {
    if (fs::exists(json))
      d.ood.emplace_back(name, data::read_coco(json, images, diag));
    else
      std::printf("note: OOD set '%s' not found at %s; it is skipped\n", name.c_str(),
                  json.c_str());
  }
  return d;
}

std::string default_run_dir(const std::string& preset) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + preset + "-" + stamp;
}

nlohmann::json options_json(const train::Options& o, const data::Dataset& train) {
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : train.categories) classes.push_back(c.name);
  return {{"preset", o.preset},
          {"data_root", o.data_root},
          {"depth", o.depth},
          {"trainable_layers", o.trainable_layers},
          {"fpn_channels", o.fpn_channels},
          {"representation", o.representation},
          {"epochs", o.epochs},
          {"max_steps", o.max_steps},
          {"batch_size", o.batch_size},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"weight_decay", o.weight_decay},
          {"warmup_steps", o.warmup_steps},
          {"train_sizes", o.train_sizes},
          {"test_size", o.test_size},
          {"max_size", o.max_size},
          {"seed", o.seed},
          {"ood_head", o.ood_head},
          {"ood_gt_mode", o.ood_gt_mode},
          {"classes", classes}};
}

int run(const train::Options& o) {
  const DataSets d = o.preset == "shapes" ? shapes_data(o) : voc_data(o);
  train::RunDirectory run(o.run_dir.empty() ? default_run_dir(o.preset) : o.run_dir);
  std::printf("run folder: %s  (train %zu images, test %zu)\n", run.path().c_str(),
              d.train.images.size(), d.test.images.size());
  const nlohmann::json info = options_json(o, d.train);
  run.write_json("config.json", info);
  models::FasterRcnn model(
      train::detector_config(o, static_cast<std::int64_t>(d.train.categories.size())));
  if (!o.weights.empty()) train::load_model_weights(o.weights, model);
  if (!o.eval_only) {
    train::train_detector(o, run, model, d.train, info);
  } else if (o.weights.empty()) {
    if (!run.has_checkpoint())
      throw std::runtime_error("--eval-only needs --weights or a checkpoint in " + run.path());
    run.load_checkpoint(model, nullptr);
  }
  nlohmann::json summary = {{"run", run.path()}};
  const auto test = train::run_detector(model, d.test, o, "test (ID)");
  data::write_detections(run.file("detections_test.json"), d.test, test);
  summary["test_detections"] = test.size();
  summary["id"] = train::detection_metrics(d.test, test);
  for (const auto& [name, set] : d.ood) {
    const auto dets = train::run_detector(model, set, o, ("OOD " + name).c_str());
    // Detections name training classes: write them against the OOD images with those categories.
    data::Dataset as_detected = set;
    as_detected.categories = d.train.categories;
    data::write_detections(run.file("detections_ood_" + name + ".json"), as_detected, dets);
    summary["ood_" + name + "_detections"] = dets.size();
    summary["ood_" + name] = train::ood_metrics(test, dets, o.ood_score_threshold);
  }
  run.write_json("summary.json", summary);
  std::printf("%s\n", summary.dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  train::configure_threads(argv);
  try {
    bool help = false;
    const train::Options options = train::parse_options(argc, argv, help);
    if (help) {
      std::printf("%s", train::options_help().c_str());
      return 0;
    }
    return run(options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "train_dreambox: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ntrain_dreambox: error: %s\n", e.what());
    return 1;
  }
}
