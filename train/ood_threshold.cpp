// OOD threshold at a given ID recall (an order statistic of the ID detections' OOD scores) and
// its storage in summary.json and in the checkpoint's info metadata.
#include "train/ood_threshold.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "engine/io/safetensors.h"

namespace train {

double ood_threshold_at_id_recall(const std::vector<data::Detection>& id_detections,
                                  double score_threshold,
                                  OodScoreSource source,
                                  double id_recall) {
  if (!(id_recall > 0.0 && id_recall <= 1.0))
    throw std::invalid_argument("ID recall must be in (0, 1], got " + std::to_string(id_recall));
  std::vector<double> ood;  // ood_scores of the ID detections that count
  for (const auto& d : id_detections)
    if (d.score > score_threshold) ood.push_back(ood_value(d, source));
  if (ood.empty())
    throw std::runtime_error("no ID detection with score > " + std::to_string(score_threshold) +
                             " to measure the OOD threshold on (" +
                             std::to_string(id_detections.size()) + " detections in all)");
  std::sort(ood.begin(), ood.end());
  // k detections at or below ood[k - 1]: the smallest k with k / n >= recall.
  const double n = static_cast<double>(ood.size());
  auto k = static_cast<std::size_t>(std::ceil(id_recall * n - 1e-9));
  k = std::clamp<std::size_t>(k, 1, ood.size());
  return ood[k - 1];
}

nlohmann::json record_ood_threshold(const std::vector<data::Detection>& id_detections,
                                    double score_threshold,
                                    OodScoreSource source,
                                    const std::string& checkpoint) {
  constexpr double kIdRecall = 0.95;
  nlohmann::json record;
  try {
    record = {
        {"value", ood_threshold_at_id_recall(id_detections, score_threshold, source, kIdRecall)},
        {"ood_score", source == OodScoreSource::head ? "head" : "energy"},
        {"id_recall", kIdRecall},
        {"score_threshold", score_threshold}};
  } catch (const std::runtime_error& e) {
    return {{"error", e.what()}};
  }
  std::size_t counted = 0;
  for (const auto& d : id_detections) counted += d.score > score_threshold ? 1 : 0;
  record["id_detections"] = counted;
  if (!checkpoint.empty() && std::filesystem::exists(checkpoint))
    merge_checkpoint_info(checkpoint, {{"ood_threshold", record}});
  return record;
}

void merge_checkpoint_info(const std::string& checkpoint, const nlohmann::json& fields) {
  auto file = engine::io::load_safetensors(checkpoint);
  nlohmann::json info = nlohmann::json::object();
  if (const auto it = file.metadata.find("info"); it != file.metadata.end()) {
    try {
      info = nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("checkpoint '" + checkpoint +
                               "': metadata 'info' is not JSON: " + e.what());
    }
  }
  info.update(fields);
  file.metadata["info"] = info.dump();
  engine::io::save_safetensors(checkpoint, file.tensors, file.metadata);
}

}  // namespace train
