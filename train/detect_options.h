// Flags of `train_dreambox detect`: weights, inputs, output folder, thresholds and, for
// torchvision-named weights (no recorded config), the architecture with torchvision's defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace train {

struct DetectOptions {
  std::string weights;             // train_dreambox checkpoint or torchvision-named safetensors
  std::string images;              // image file, folder or list file
  std::string out = "detections";  // output folder
  std::optional<double> score_threshold;  // default: the checkpoint's evaluation setting, else 0.5
  std::optional<double> ood_threshold;    // default: stored at evaluation (95% ID recall)
  std::string classes;         // torchvision weights: "a,b,c" or a file with one name per line
  std::string device = "cpu";  // "cpu" or "cuda:N"; parsing defaults it to cuda when usable
  int batch_size = 2;
  int workers = 1;
  bool draw = true;  // write one annotated PNG per image
  // torchvision-named weights only (a checkpoint records its own): torchvision's defaults.
  int depth = 50;
  std::int64_t fpn_channels = 256;
  std::int64_t representation = 1024;
  std::optional<int> test_size;  // default: the checkpoint's, else 800
  std::optional<int> max_size;   // default: the checkpoint's, else 1333
};

// Parses argv with argv[1] == "detect"; std::invalid_argument names the flag and what is
// accepted. --help sets help_requested.
DetectOptions parse_detect_options(int argc, const char* const* argv, bool& help_requested);
std::string detect_help();

}  // namespace train
