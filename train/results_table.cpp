// Formatting of the results table from the per-detector summaries (see results_table.h).
#include "train/results_table.h"

#include <cstdio>
#include <sstream>

namespace train {

namespace {

std::string percent(const nlohmann::json& metrics, const char* key) {
  if (!metrics.is_object() || !metrics.contains(key) || !metrics[key].is_number()) return "n/a";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", 100.0 * metrics[key].get<double>());
  return text;
}

}  // namespace

std::string results_markdown(const std::vector<std::pair<std::string, nlohmann::json>>& rows,
                             const std::vector<std::string>& ood_sets) {
  std::ostringstream out;
  out << "| detector | steps | OOD score | ID AP | ID AP50 | ID class acc |";
  for (const auto& set : ood_sets)
    out << " " << set << " FPR95 | " << set << " AUROC | " << set << " AUPR |";
  out << "\n|---|---|---|---|---|---|";
  for (std::size_t i = 0; i < ood_sets.size(); ++i) out << "---|---|---|";
  out << "\n";
  std::vector<std::string> notes;
  for (const auto& [name, summary] : rows) {
    const nlohmann::json id = summary.value("id", nlohmann::json::object());
    const nlohmann::json steps = summary.value("checkpoint_step", nlohmann::json());
    out << "| " << name << " | " << (steps.is_number() ? steps.dump() : "?") << " | "
        << summary.value("ood_score", std::string("?")) << " | " << percent(id, "AP") << " | "
        << percent(id, "AP50") << " | " << percent(id, "class_accuracy") << " |";
    for (const auto& set : ood_sets) {
      const nlohmann::json m = summary.value("ood_" + set, nlohmann::json::object());
      out << " " << percent(m, "FPR95") << " | " << percent(m, "AUROC") << " | "
          << percent(m, "AUPR_in") << " |";
      if (m.contains("error"))
        notes.push_back(name + ", " + set + ": " + m["error"].get<std::string>());
    }
    out << "\n";
  }
  if (!ood_sets.empty())
    out << "\nx100. ID class acc: share of the confident ID detections lying on an object (IoU >= "
           "0.5) that name its class. FPR95 lower is better; AUROC and AUPR (AUPR-In) higher is "
           "better. ID "
           "detections above the class-score threshold are positives, OOD-set detections "
           "negatives.\n";
  for (const auto& note : notes) out << "- n/a (" << note << ")\n";
  return out.str();
}

nlohmann::json results_json(const std::vector<std::pair<std::string, nlohmann::json>>& rows,
                            const std::vector<std::string>& ood_sets) {
  nlohmann::json detectors = nlohmann::json::array();
  for (const auto& [name, summary] : rows) {
    nlohmann::json row = {{"detector", name},
                          {"steps", summary.value("checkpoint_step", nlohmann::json())},
                          {"ood_score", summary.value("ood_score", std::string())},
                          {"id", summary.value("id", nlohmann::json::object())}};
    for (const auto& set : ood_sets)
      row["ood"][set] = summary.value("ood_" + set, nlohmann::json::object());
    detectors.push_back(row);
  }
  return {{"ood_sets", ood_sets}, {"detectors", detectors}};
}

}  // namespace train
