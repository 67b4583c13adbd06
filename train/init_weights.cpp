// Loading torchvision-named weights into a fresh detector by name, with the fine-tuning rules
// (ResNet body prefixed, predictor for other classes reinitialised) and a report of what was kept.
#include "train/init_weights.h"

#include <filesystem>
#include <map>
#include <stdexcept>

#include "engine/io/safetensors.h"

namespace train {

namespace {

const std::string kPredictor = "roi_heads.box_predictor.";
const std::string kClassScores = kPredictor + "cls_score.weight";  // [classes, representation]
const std::string kBoxDeltas = kPredictor + "bbox_pred.weight";    // [rows, representation]

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// "a, b, c and 4 more"
std::string listed(const std::vector<std::string>& names, std::size_t at_most = 8) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < at_most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > at_most) out += " and " + std::to_string(names.size() - at_most) + " more";
  return out;
}

const engine::Tensor* find(const engine::nn::NamedTensors& tensors, const std::string& name) {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

// Drops the file's box predictor when it was made for another number of classes; refuses one in
// the other class layout (same classes, torchvision's C x 4 box rows vs MMDet's (C - 1) x 4).
std::string reconcile_predictor(engine::nn::NamedTensors& source,
                                const engine::nn::NamedTensors& own,
                                const std::string& where) {
  const engine::Tensor* file_scores = find(source, kClassScores);
  const engine::Tensor* own_scores = find(own, kClassScores);
  if (file_scores == nullptr || own_scores == nullptr || file_scores->dim() != 2) return "";
  const std::int64_t classes = own_scores->size(0), file_classes = file_scores->size(0);
  if (file_classes != classes) {
    std::erase_if(source, [](const auto& entry) { return starts_with(entry.first, kPredictor); });
    return "box predictor reinitialised for " + std::to_string(classes) +
           " classes (the file's has " + std::to_string(file_classes) + ", background included)";
  }
  const engine::Tensor* file_deltas = find(source, kBoxDeltas);
  const engine::Tensor* own_deltas = find(own, kBoxDeltas);
  if (file_deltas == nullptr || own_deltas == nullptr || file_deltas->dim() != 2 ||
      file_deltas->size(0) == own_deltas->size(0))
    return "";
  const bool model_background_last = own_deltas->size(0) == 4 * (classes - 1);
  throw std::runtime_error(
      where + kBoxDeltas + " has " + std::to_string(file_deltas->size(0)) + " rows for " +
      std::to_string(classes) + " classes: " +
      (model_background_last
           ? "torchvision's layout (background first), but --detector-variant mmdet puts the "
             "background last; convert the checkpoint with scripts/convert_torchvision.py "
             "--background-last"
           : "MMDetection's layout (background last), but --detector-variant torchvision puts "
             "the background first; use --detector-variant mmdet or convert without "
             "--background-last"));
}

}  // namespace

std::string InitWeightsReport::summary() const {
  std::string out = kind + ": " + std::to_string(loaded) + " tensors loaded";
  if (!predictor.empty()) out += "; " + predictor;
  if (kept_initial.empty()) return out;
  std::map<std::string, int> groups;  // "backbone.fpn" -> tensors it keeps as initialised
  for (const auto& name : kept_initial) {
    const auto first = name.find('.');
    const auto second = first == std::string::npos ? first : name.find('.', first + 1);
    ++groups[name.substr(0, second)];
  }
  out += "; kept as initialised:";
  for (const auto& [group, count] : groups) out += " " + group + " (" + std::to_string(count) + ")";
  return out;
}

InitWeightsReport load_init_weights(const std::string& path, models::FasterRcnn& model) {
  const std::string where = "--init-weights " + path + ": ";
  if (!std::filesystem::is_regular_file(path)) throw std::runtime_error(where + "no such file");
  engine::io::SafetensorsFile file;
  try {
    file = engine::io::load_safetensors(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + e.what());
  }
  if (file.tensors.empty()) throw std::runtime_error(where + "holds no tensors");
  bool whole = false, detector_names = false;
  for (const auto& [name, t] : file.tensors) {
    if (starts_with(name, "model."))
      throw std::runtime_error(where +
                               "a train_dreambox checkpoint (model.* tensors); continue from it "
                               "with --weights instead");
    whole = whole || starts_with(name, "rpn.") || starts_with(name, "roi_heads.");
    detector_names = detector_names || starts_with(name, "backbone.");
  }
  detector_names = detector_names || whole;  // else ResNet classifier names (conv1.*, layer1.*)
  InitWeightsReport report;
  report.kind = whole ? "Faster R-CNN" : "ResNet backbone";
  engine::nn::NamedTensors source;  // the file under the detector's names
  for (const auto& [name, t] : file.tensors)
    source.emplace_back(detector_names ? name : "backbone.body." + name, t);
  if (whole) report.predictor = reconcile_predictor(source, model.state_dict(), where);

  const engine::nn::LoadReport r = model.load_state_dict(source, false);
  if (!r.mismatched.empty())
    throw std::runtime_error(where +
                             "shapes differ from the detector's (--depth, --fpn-channels "
                             "and --representation must match the file): " +
                             listed(r.mismatched, 4));
  if (!r.unexpected.empty())
    throw std::runtime_error(
        where +
        "tensors the detector does not have (another depth or --norm, or not converted "
        "with scripts/convert_torchvision.py?): " +
        listed(r.unexpected));
  // A partial part would train from a mix of weights: a whole detector gives everything
  // torchvision has (the predictor unless reinitialised), a backbone file the whole ResNet body.
  std::vector<std::string> required = {"backbone.body."};
  if (whole) required = {"backbone.", "rpn.", "roi_heads.box_head."};
  if (whole && report.predictor.empty()) required.push_back(kPredictor);
  std::vector<std::string> lacking;
  for (const auto& name : r.missing)
    for (const auto& prefix : required)
      if (starts_with(name, prefix)) {
        lacking.push_back(name);
        break;
      }
  if (!lacking.empty())
    throw std::runtime_error(
        where + "lacks tensors of the " + report.kind +
        " (a shallower ResNet than --depth, or a partial file?): " + listed(lacking));
  report.loaded = source.size();
  if (report.loaded == 0) throw std::runtime_error(where + "no tensor fits the detector");
  report.kept_initial = r.missing;
  return report;
}

}  // namespace train
