// Detection results in COCO result format plus "ood_score" and "energy": [{image_id, bbox
// [x, y, w, h], score, category_id, ood_score, energy}, ...], written and read back.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace data {

struct Detection {
  std::size_t image = 0;  // index into Dataset::images (gives the image id and its JSON type)
  Box box;                // original-image coordinates (box.h convention)
  int label = 0;          // index into Dataset::categories
  double score = 0;       // classification score
  double ood_score = 0;   // higher = more likely out-of-distribution (sigmoid of the OOD logit)
  double energy = 0;      // free energy -logsumexp(foreground logits): higher = more likely OOD
};

nlohmann::ordered_json detections_to_json(const Dataset& dataset,
                                          const std::vector<Detection>& dets);
void write_detections(const std::string& path,
                      const Dataset& dataset,
                      const std::vector<Detection>& dets);
// Reads a results file written for `dataset`; unknown images or categories throw DataError.
std::vector<Detection> read_detections(const std::string& path, const Dataset& dataset);

}  // namespace data
