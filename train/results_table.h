// The comparison of a run's detectors side by side: ID AP / AP50 and, per OOD set, FPR95 /
// AUROC / AUPR-In, as a Markdown table (printed, results.md) and as JSON (results.json).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace train {

// rows: (detector name, its summary as evaluate_detector_variant returns it), in table order;
// ood_sets: the OOD set names (columns). "steps" is the training step of the evaluated checkpoint.
// Metrics are shown x100 with one decimal; a metric that could not be computed shows "n/a" with its
// reason under the table.
std::string results_markdown(const std::vector<std::pair<std::string, nlohmann::json>>& rows,
                             const std::vector<std::string>& ood_sets);
nlohmann::json results_json(const std::vector<std::pair<std::string, nlohmann::json>>& rows,
                            const std::vector<std::string>& ood_sets);

}  // namespace train
