// `train_dreambox detect`: a trained detector on the user's own images. Writes one COCO-result
// JSON for all images (with ood_score, energy, file name, unknown flag) and annotated PNGs.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "train/detect_options.h"

namespace train {

struct DetectSummary {
  std::size_t images = 0;            // images the detector ran on
  std::size_t detections = 0;        // with score above the score threshold
  std::size_t unknown = 0;           // of those, over the OOD threshold
  std::vector<std::string> skipped;  // "<file>: <problem>" per image that could not be read
  double score_threshold = 0;
  std::string ood_score;     // "head" (the Dream-Box head's ood_score) or "energy" (free energy)
  double ood_threshold = 0;  // +inf when the model has no OOD head and none was given
  double images_per_second = 0;
};

// Output folder (options.out):
//   detections.json  [{image_id, bbox, score, category_id, ood_score, energy, file_name,
//                      category, unknown}, ...] for detections with score > the threshold;
//                      unknown: the detector's OOD score (ood_score or energy) > OOD threshold
//   images.json      COCO images + categories of the images run (ids as in detections.json)
//   summary.json     counts, thresholds, skipped files
//   images/<name>.png one annotated picture per image (unless options.draw is false)
// Throws std::runtime_error for unusable weights or inputs, or when no image could be read.
DetectSummary run_detect(const DetectOptions& options);

// The subcommand: argv[1] == "detect". Returns the process exit status (2: bad flags, 1: error).
int detect_main(int argc, const char* const* argv);

}  // namespace train
