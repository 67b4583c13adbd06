// Recognises the two kinds of weight files by their tensor names, builds the matching detector
// and loads it strictly (every missing, unexpected or mis-shaped tensor is reported).
#include "train/detector_weights.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "data/file_io.h"
#include "engine/io/safetensors.h"
#include "train/detector_training.h"
#include "train/model_info.h"

namespace train {

const std::vector<std::string>& torchvision_coco_names() {
  static const std::vector<std::string> names = {"__background__",
                                                 "person",
                                                 "bicycle",
                                                 "car",
                                                 "motorcycle",
                                                 "airplane",
                                                 "bus",
                                                 "train",
                                                 "truck",
                                                 "boat",
                                                 "traffic light",
                                                 "fire hydrant",
                                                 "N/A",
                                                 "stop sign",
                                                 "parking meter",
                                                 "bench",
                                                 "bird",
                                                 "cat",
                                                 "dog",
                                                 "horse",
                                                 "sheep",
                                                 "cow",
                                                 "elephant",
                                                 "bear",
                                                 "zebra",
                                                 "giraffe",
                                                 "N/A",
                                                 "backpack",
                                                 "umbrella",
                                                 "N/A",
                                                 "N/A",
                                                 "handbag",
                                                 "tie",
                                                 "suitcase",
                                                 "frisbee",
                                                 "skis",
                                                 "snowboard",
                                                 "sports ball",
                                                 "kite",
                                                 "baseball bat",
                                                 "baseball glove",
                                                 "skateboard",
                                                 "surfboard",
                                                 "tennis racket",
                                                 "bottle",
                                                 "N/A",
                                                 "wine glass",
                                                 "cup",
                                                 "fork",
                                                 "knife",
                                                 "spoon",
                                                 "bowl",
                                                 "banana",
                                                 "apple",
                                                 "sandwich",
                                                 "orange",
                                                 "broccoli",
                                                 "carrot",
                                                 "hot dog",
                                                 "pizza",
                                                 "donut",
                                                 "cake",
                                                 "chair",
                                                 "couch",
                                                 "potted plant",
                                                 "bed",
                                                 "N/A",
                                                 "dining table",
                                                 "N/A",
                                                 "N/A",
                                                 "toilet",
                                                 "N/A",
                                                 "tv",
                                                 "laptop",
                                                 "mouse",
                                                 "remote",
                                                 "keyboard",
                                                 "cell phone",
                                                 "microwave",
                                                 "oven",
                                                 "toaster",
                                                 "sink",
                                                 "refrigerator",
                                                 "N/A",
                                                 "book",
                                                 "clock",
                                                 "vase",
                                                 "scissors",
                                                 "teddy bear",
                                                 "hair drier",
                                                 "toothbrush"};
  return names;
}

namespace {

constexpr const char* kClassifier = "roi_heads.box_predictor.cls_score.weight";
constexpr const char* kOodHead = "roi_heads.ood_head.fc_ood.weight";
constexpr const char* kBoxDeltas = "roi_heads.box_predictor.bbox_pred.weight";

// The predictor layout of torchvision-named weights, from the shape of the box deltas: torchvision
// keeps deltas for every class, background first ([4 (classes + 1), features]); MMDetection's layout
// (scripts/convert_torchvision.py --background-last) puts the background last and drops its deltas
// ([4 classes, features]).
bool background_last_layout(const engine::io::SafetensorsFile& file, std::int64_t classes) {
  if (!file.contains(kBoxDeltas))
    throw std::runtime_error("--weights " + file.path + ": no " + kBoxDeltas);
  const auto& deltas = file.at(kBoxDeltas);  // [4 classes (+ 4), features]
  if (deltas.dim() == 2 && deltas.size(0) == 4 * (classes + 1)) return false;
  if (deltas.dim() == 2 && deltas.size(0) == 4 * classes) return true;
  throw std::runtime_error("--weights " + file.path + ": " + kBoxDeltas + " has shape " +
                           deltas.str() + ", expected [" + std::to_string(4 * (classes + 1)) +
                           ", features] (background first) or [" + std::to_string(4 * classes) +
                           ", features] (background last) for " + std::to_string(classes) +
                           " classes");
}

// "a,b,c" or a file with one name per line.
std::vector<std::string> parse_class_names(const std::string& value) {
  std::vector<std::string> names;
  const bool is_file = std::filesystem::is_regular_file(value);
  std::istringstream in(is_file ? data::read_text_file(value) : value);
  for (std::string name; std::getline(in, name, is_file ? '\n' : ',');) {
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
    const auto first = name.find_first_not_of(" \t");
    if (first != std::string::npos) names.push_back(name.substr(first));
  }
  if (names.empty())
    throw std::runtime_error("--classes '" + value +
                             "': no class names (give a,b,c or a file "
                             "with one name per line)");
  return names;
}

void load_strictly(models::FasterRcnn& model,
                   const engine::nn::NamedTensors& tensors,
                   const std::string& path,
                   const std::string& hint) {
  try {
    model.load_state_dict(tensors);
  } catch (const std::exception& e) {
    throw std::runtime_error("--weights " + path + ": the weights do not fit the detector (" +
                             hint + "): " + e.what());
  }
}

LoadedDetector from_checkpoint(const engine::io::SafetensorsFile& file) {
  const auto meta = file.metadata.find("info");
  nlohmann::json info;
  try {
    info = nlohmann::json::parse(meta->second);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("--weights " + file.path +
                             ": metadata 'info' is not JSON: " + e.what());
  }
  const CheckpointModel m = model_from_info(info, file.path);
  LoadedDetector out;
  out.kind = "train_dreambox checkpoint";
  out.options = m.options;
  out.classes = m.classes;
  out.has_ood_head = m.options.ood_head;
  out.score = m.score;
  out.score_threshold = m.options.ood_score_threshold;
  const std::string measured_on = m.score == OodScoreSource::head ? "head" : "energy";
  if (const auto t = info.find("ood_threshold");
      t != info.end() && t->is_object() && t->contains("value") && (*t)["value"].is_number() &&
      t->value("ood_score", "head") == measured_on)
    out.ood_threshold = (*t)["value"].get<double>();
  out.model = std::make_unique<models::FasterRcnn>(
      detector_config(out.options, static_cast<std::int64_t>(out.classes.size())));
  engine::nn::NamedTensors tensors;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind("model.", 0) == 0) tensors.emplace_back(name.substr(6), t);
  load_strictly(*out.model, tensors, file.path, "the checkpoint's info record disagrees");
  return out;
}

LoadedDetector from_torchvision(const engine::io::SafetensorsFile& file, const DetectOptions& d) {
  LoadedDetector out;
  out.kind = "torchvision-named weights";
  const auto& classifier = file.at(kClassifier);  // [classes + 1, representation]
  if (classifier.dim() != 2 || classifier.size(0) < 2)
    throw std::runtime_error("--weights " + file.path + ": " + kClassifier + " has shape " +
                             classifier.str() + ", expected [classes + 1, features]");
  const auto classes = classifier.size(0) - 1;
  if (!d.classes.empty()) {
    out.classes = parse_class_names(d.classes);
    if (static_cast<std::int64_t>(out.classes.size()) != classes)
      throw std::runtime_error("--classes names " + std::to_string(out.classes.size()) +
                               " classes but the weights in " + file.path + " have " +
                               std::to_string(classes) + " (plus background)");
  } else if (classes + 1 == static_cast<std::int64_t>(torchvision_coco_names().size())) {
    out.classes.assign(torchvision_coco_names().begin() + 1, torchvision_coco_names().end());
  } else {
    for (std::int64_t c = 1; c <= classes; ++c) out.classes.push_back("class" + std::to_string(c));
  }
  Options& o = out.options;
  o.preset = "voc";  // torchvision's RPN/RoI settings (the shapes preset trims them)
  o.depth = d.depth;
  o.fpn_channels = d.fpn_channels;
  o.representation = d.representation;
  o.test_size = 800;
  o.max_size = 1333;
  o.ood_head = file.contains(kOodHead);
  out.has_ood_head = o.ood_head;
  out.score = o.ood_head ? OodScoreSource::head : OodScoreSource::energy;
  auto config = detector_config(o, classes);
  config.roi_heads.background_last = background_last_layout(file, classes);
  out.model = std::make_unique<models::FasterRcnn>(config);
  load_strictly(*out.model, file.tensors, file.path,
                "set --depth, --fpn-channels and --representation to the file's architecture");
  return out;
}

}  // namespace

LoadedDetector load_detector(const DetectOptions& d) {
  if (!std::filesystem::is_regular_file(d.weights))
    throw std::runtime_error("--weights " + d.weights + ": no such file");
  const auto file = engine::io::load_safetensors(d.weights);
  bool prefixed = false;
  for (const auto& [name, t] : file.tensors) prefixed = prefixed || name.rfind("model.", 0) == 0;
  LoadedDetector out;
  if (file.metadata.count("info") && prefixed)
    out = from_checkpoint(file);
  else if (file.contains(kClassifier))
    out = from_torchvision(file, d);
  else
    throw std::runtime_error("--weights " + d.weights +
                             ": neither a train_dreambox checkpoint (model.* tensors + info "
                             "metadata) nor torchvision-named Faster R-CNN weights (no " +
                             kClassifier + ")");
  if (d.test_size) out.options.test_size = *d.test_size;
  if (d.max_size) out.options.max_size = *d.max_size;
  out.options.batch_size = d.batch_size;
  out.options.workers = d.workers;
  out.options.device = d.device;
  out.model->to(engine::Device::parse(d.device));
  out.model->eval();
  return out;
}

}  // namespace train
