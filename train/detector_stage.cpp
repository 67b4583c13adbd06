// Detector stages of the pipeline: each variant trains in its own subfolder with its own
// checkpoint (resumed when present) and is evaluated with the OOD score that its method defines.
#include "train/detector_stage.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "data/detections.h"
#include "train/detector_eval.h"
#include "train/detector_training.h"
#include "train/init_weights.h"
#include "train/ood_threshold.h"
#include "train/run_dir.h"

namespace train {

namespace fs = std::filesystem;

const std::vector<DetectorVariant>& detector_variants() {
  static const std::vector<DetectorVariant> table = {
      {.name = "vanilla",
       .what = "ID data only, OOD score = energy",
       .score = OodScoreSource::energy},
      {.name = "dreambox",
       .what = "Dream-Box OOD head trained with the outlier set",
       .ood_head = true,
       .uses_outliers = true,
       .score = OodScoreSource::head},
      {.name = "vos",
       .what = "VOS virtual outliers, OOD score = energy",
       .vos = true,
       .score = OodScoreSource::energy},
  };
  return table;
}

const DetectorVariant* find_detector_variant(const std::string& name) {
  for (const auto& v : detector_variants())
    if (v.name == name) return &v;
  return nullptr;
}

Options variant_options(const Options& base, const DetectorVariant& variant) {
  Options o = base;
  o.ood_head = variant.ood_head;
  o.vos = variant.vos;
  return o;
}

std::string detector_folder(const std::string& run_root, const DetectorVariant& variant) {
  return run_root + "/" + variant.name;
}

nlohmann::json detector_info(const Options& o,
                             const DetectorVariant& variant,
                             const data::Dataset& train_set) {
  nlohmann::json info = options_to_json(o);
  info["detector"] = variant.name;
  info["ood_score"] = variant.score == OodScoreSource::head ? "head" : "energy";
  info["train_images"] = train_set.images.size();
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : train_set.categories) classes.push_back(c.name);
  info["classes"] = classes;
  return info;
}

void train_detector_variant(const Options& base,
                            const DetectorVariant& variant,
                            const data::Dataset& train_set,
                            const std::string& run_root) {
  Options o = variant_options(base, variant);
  o.resume = true;  // a stage always continues from its own checkpoint
  RunDirectory run(detector_folder(run_root, variant));
  const nlohmann::json info = detector_info(o, variant, train_set);
  run.write_json("config.json", info);
  models::FasterRcnn model(
      detector_config(o, static_cast<std::int64_t>(train_set.categories.size())));
  if (!run.has_checkpoint()) {  // a checkpoint in the folder has them already
    if (!o.weights.empty()) load_model_weights(o.weights, model);
    if (!o.init_weights.empty()) {
      const InitWeightsReport r = load_init_weights(o.init_weights, model);
      std::printf("[%s] --init-weights %s: %s\n", variant.name.c_str(), o.init_weights.c_str(),
                  r.summary().c_str());
      run.write_json("init_weights.json", {{"file", o.init_weights},
                                           {"kind", r.kind},
                                           {"loaded", r.loaded},
                                           {"predictor", r.predictor},
                                           {"kept_initial", r.kept_initial}});
    }
  }
  model.to(engine::Device::parse(o.device));  // before the optimizer and the checkpoint's state
  std::printf("[%s] training on %zu images (%s) on %s in %s\n", variant.name.c_str(),
              train_set.images.size(), variant.what.c_str(), o.device.c_str(), run.path().c_str());
  const std::int64_t steps = train_detector(o, run, model, train_set, info);
  std::printf("[%s] %lld steps done; checkpoint %s\n", variant.name.c_str(),
              static_cast<long long>(steps), run.checkpoint_path().c_str());
}

nlohmann::json evaluate_detector_variant(const Options& base,
                                         const DetectorVariant& variant,
                                         const DataSets& d,
                                         const std::string& run_root) {
  const Options o = variant_options(base, variant);
  RunDirectory run(detector_folder(run_root, variant));
  if (!run.has_checkpoint())
    throw std::runtime_error("no trained '" + variant.name + "' detector: " +
                             run.checkpoint_path() + " is missing (run its stage first)");
  const std::string summary_path = run.file("summary.json");
  if (fs::exists(summary_path) &&
      fs::last_write_time(summary_path) > fs::last_write_time(run.checkpoint_path())) {
    std::ifstream in(summary_path);
    const nlohmann::json previous = nlohmann::json::parse(in, nullptr, false);
    if (!previous.is_discarded() &&
        previous.value("ood_score_threshold", -1.0) == o.ood_score_threshold) {
      std::printf("[%s] evaluation up to date: %s\n", variant.name.c_str(), summary_path.c_str());
      return previous;
    }
  }
  models::FasterRcnn model(
      detector_config(o, static_cast<std::int64_t>(d.train.categories.size())));
  const TrainingState state = run.load_checkpoint(model, nullptr);
  model.to(engine::Device::parse(o.device));
  nlohmann::json summary = {{"detector", variant.name},
                            {"device", o.device},
                            {"checkpoint", run.checkpoint_path()},
                            {"checkpoint_step", state.step},
                            {"ood_score", to_string(variant.score)},
                            {"ood_score_threshold", o.ood_score_threshold}};
  const std::string tag = "[" + variant.name + "] ";
  const auto test = run_detector(model, d.test, o, (tag + "test (ID)").c_str());
  data::write_detections(run.file("detections_test.json"), d.test, test);
  summary["test_detections"] = test.size();
  summary["id"] = detection_metrics(d.test, test);
  summary["id"].update(class_accuracy_json(class_accuracy(d.test, test, o.ood_score_threshold)));
  // `detect`'s default OOD threshold (95% ID recall), kept with the evaluated checkpoint.
  summary["ood_threshold"] =
      record_ood_threshold(test, o.ood_score_threshold, variant.score, run.checkpoint_path());
  for (const auto& [name, set] : d.ood) {
    const auto dets = run_detector(model, set, o, (tag + "OOD " + name).c_str());
    // Detections name training classes: write them against the OOD images with those categories.
    data::Dataset as_detected = set;
    as_detected.categories = d.train.categories;
    data::write_detections(run.file("detections_ood_" + name + ".json"), as_detected, dets);
    summary["ood_" + name + "_detections"] = dets.size();
    summary["ood_" + name] = ood_metrics(test, dets, o.ood_score_threshold, variant.score);
  }
  run.write_json("summary.json", summary);
  return summary;
}

}  // namespace train
