// The detect subcommand: load weights, collect images, run the detector in batches (bad images
// reported and skipped), keep detections above the score threshold, write JSON and pictures.
#include "train/detect.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "data/coco.h"
#include "data/detections.h"
#include "data/file_io.h"
#include "data/image.h"
#include "train/detection_pictures.h"
#include "train/detector_eval.h"
#include "train/detector_weights.h"
#include "train/image_inputs.h"

namespace train {

namespace fs = std::filesystem;

namespace {

struct Thresholds {
  double score = 0.5;
  UnknownRule unknown{OodScoreSource::head, std::numeric_limits<double>::infinity()};
  std::string ood_source;
};

Thresholds thresholds(const DetectOptions& o, const LoadedDetector& d) {
  Thresholds t;
  t.score = o.score_threshold.value_or(d.score_threshold.value_or(0.5));
  t.unknown.source = d.score;
  if (o.ood_threshold) {
    t.unknown.threshold = *o.ood_threshold;
    t.ood_source = "--ood-thresh";
  } else if (d.ood_threshold) {
    t.unknown.threshold = *d.ood_threshold;
    t.ood_source = "the checkpoint (95% ID recall at evaluation)";
  } else if (d.has_ood_head) {
    throw std::runtime_error(
        "--weights " + o.weights +
        ": no OOD threshold stored with these weights (the evaluation stage of train_dreambox "
        "stores it in the run's checkpoint and in summary.json as ood_threshold); pass "
        "--ood-thresh T");
  } else {
    t.ood_source = "none: no OOD head and no --ood-thresh for its energy, nothing is unknown";
  }
  return t;
}

// One PNG name per image: its path below the input folder (or its file name) with .png,
// made unique with the image id when two inputs would share a name.
std::vector<std::string> picture_names(const data::Dataset& dataset) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (const auto& record : dataset.images) {
    fs::path p = dataset.image_root.empty() ? fs::path(record.file_name).filename()
                                            : fs::path(record.file_name);
    p.replace_extension(".png");
    std::string name = p.lexically_normal().string();
    if (!used.insert(name).second) {
      p.replace_filename(p.stem().string() + "_" + record.id + ".png");
      name = p.lexically_normal().string();
      used.insert(name);
    }
    names.push_back(name);
  }
  return names;
}

nlohmann::ordered_json results_json(const data::Dataset& dataset,
                                    const std::vector<data::Detection>& kept,
                                    const std::vector<std::string>& classes,
                                    const UnknownRule& unknown) {
  nlohmann::ordered_json out = data::detections_to_json(dataset, kept);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    out[i]["file_name"] = dataset.image_path(dataset.images[kept[i].image]);
    out[i]["category"] = classes[static_cast<std::size_t>(kept[i].label)];
    out[i]["unknown"] = unknown(kept[i]);
  }
  return out;
}

}  // namespace

DetectSummary run_detect(const DetectOptions& o) {
  LoadedDetector detector = load_detector(o);
  const Thresholds limits = thresholds(o, detector);
  std::printf("detect: %s %s (%zu classes, %s OOD head)\n", detector.kind.c_str(),
              o.weights.c_str(), detector.classes.size(), detector.has_ood_head ? "with" : "no");
  ImageInputs inputs = collect_images(o.images, detector.classes);
  DetectSummary summary;
  summary.skipped = inputs.skipped;
  for (const auto& problem : inputs.skipped) std::fprintf(stderr, "skipped %s\n", problem.c_str());
  const data::Dataset& dataset = inputs.dataset;
  if (dataset.images.empty())
    throw std::runtime_error("--images " + o.images + ": none of the " +
                             std::to_string(inputs.skipped.size()) + " images could be read");

  std::vector<bool> bad(dataset.images.size(), false);
  const auto start = std::chrono::steady_clock::now();
  const auto all = run_detector(*detector.model, dataset, detector.options, "detect",
                                [&](std::size_t image, const std::string& problem) {
                                  bad[image] = true;
                                  summary.skipped.push_back(problem);
                                  std::fprintf(stderr, "\nskipped %s\n", problem.c_str());
                                });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<data::Detection> kept;
  for (const auto& d : all)
    if (d.score > limits.score) kept.push_back(d);
  data::Dataset processed = dataset;  // images.json lists only the images the detector saw
  processed.images.clear();
  for (std::size_t i = 0; i < dataset.images.size(); ++i)
    if (!bad[i]) processed.images.push_back(dataset.images[i]);

  summary.images = processed.images.size();
  summary.detections = kept.size();
  for (const auto& d : kept) summary.unknown += limits.unknown(d) ? 1 : 0;
  summary.score_threshold = limits.score;
  summary.ood_threshold = limits.unknown.threshold;
  summary.ood_score = limits.unknown.source == OodScoreSource::head ? "head" : "energy";
  summary.images_per_second = static_cast<double>(summary.images) / std::max(seconds, 1e-9);

  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec)
    throw std::runtime_error("--out " + o.out + ": cannot create the folder: " + ec.message());
  data::write_text_file(o.out + "/detections.json",
                        results_json(dataset, kept, detector.classes, limits.unknown).dump());
  data::write_coco(processed, o.out + "/images.json");
  if (o.draw) {
    const auto names = picture_names(dataset);
    std::vector<std::vector<data::Detection>> per_image(dataset.images.size());
    for (const auto& d : kept) per_image[d.image].push_back(d);
    for (std::size_t i = 0; i < dataset.images.size(); ++i) {
      if (bad[i]) continue;
      data::Image image = data::load_image(dataset.image_path(dataset.images[i]));
      draw_detections(image, per_image[i], detector.classes, limits.unknown);
      const fs::path target = fs::path(o.out) / "images" / names[i];
      fs::create_directories(target.parent_path(), ec);
      data::save_image(image, target.string());
    }
  }
  const nlohmann::json record = {
      {"weights", o.weights},
      {"weights_kind", detector.kind},
      {"images", summary.images},
      {"skipped", summary.skipped.size()},
      {"skipped_files", summary.skipped},
      {"detections", summary.detections},
      {"unknown", summary.unknown},
      {"score_threshold", summary.score_threshold},
      {"ood_score", summary.ood_score},
      {"ood_threshold", std::isfinite(summary.ood_threshold) ? nlohmann::json(summary.ood_threshold)
                                                             : nlohmann::json()},
      {"ood_threshold_source", limits.ood_source},
      {"images_per_second", summary.images_per_second}};
  data::write_text_file(o.out + "/summary.json", record.dump(2) + "\n");
  std::printf(
      "detect: %zu images, %zu skipped, %zu detections with score > %.3g (%zu unknown: %s > %.4g, "
      "from %s), %.2f img/s\n"
      "wrote %s/detections.json, %s/images.json, %s/summary.json%s\n",
      summary.images, summary.skipped.size(), summary.detections, limits.score, summary.unknown,
      to_string(limits.unknown.source), summary.ood_threshold, limits.ood_source.c_str(),
      summary.images_per_second, o.out.c_str(), o.out.c_str(), o.out.c_str(),
      o.draw ? (" and " + o.out + "/images/").c_str() : "");
  return summary;
}

int detect_main(int argc, const char* const* argv) {
  try {
    bool help = false;
    const DetectOptions options = parse_detect_options(argc, argv, help);
    if (help) {
      std::printf("%s", detect_help().c_str());
      return 0;
    }
    run_detect(options);
    return 0;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "train_dreambox detect: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ntrain_dreambox detect: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace train
