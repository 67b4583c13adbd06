// The flag table of `train_dreambox detect` (train/flags.h): validated values, defaults in --help.
#include "train/detect_options.h"

#include <stdexcept>
#include <type_traits>

#include "train/device_choice.h"
#include "train/flags.h"

namespace train {

namespace {

template <typename T>
Flag<DetectOptions> optional_number(const char* name,
                                    const char* help,
                                    std::optional<T> DetectOptions::*field,
                                    double lo,
                                    double hi,
                                    const char* unset) {
  return {name, help,
          [=](DetectOptions& o, const std::string& v) {
            if constexpr (std::is_integral_v<T>)
              o.*field = static_cast<T>(
                  to_integer(name, v, static_cast<long long>(lo), static_cast<long long>(hi)));
            else
              o.*field = to_real(name, v, lo, hi);
          },
          [=](const DetectOptions& o) {
            return (o.*field).has_value() ? show_real(static_cast<double>(*(o.*field)))
                                          : std::string(unset);
          }};
}

const std::vector<Flag<DetectOptions>>& flags() {
  static const std::vector<Flag<DetectOptions>> table = {
      text("weights",
           "a checkpoint written by training, or torchvision-named Faster R-CNN safetensors",
           &DetectOptions::weights),
      text("images", "an image (.jpg/.png), a folder (searched recursively) or a list file",
           &DetectOptions::images),
      text("out", "output folder: detections.json, images.json, summary.json, images/",
           &DetectOptions::out),
      optional_number("score-thresh", "keep detections with a class score above this",
                      &DetectOptions::score_threshold, 0.0, 1.0,
                      "the checkpoint's evaluation threshold, else 0.5"),
      optional_number("ood-thresh",
                      "OOD score above which a detection is 'unknown' (the head's ood_score, or "
                      "the free energy for energy-scored detectors)",
                      &DetectOptions::ood_threshold, -1e9, 1e9,
                      "the checkpoint's, at 95% ID recall"),
      text("classes", "class names of torchvision weights: a,b,c or a file with one per line",
           &DetectOptions::classes),
      {"device", device_help(),
       [](DetectOptions& o, const std::string& v) { o.device = resolve_device(v); },
       [](const DetectOptions& o) { return o.device; }},
      integer("batch-size", "images per batch", &DetectOptions::batch_size, 1, 256),
      integer("workers", "data loader threads", &DetectOptions::workers, 1, 64),
      toggle("no-images", "write only the JSON files, no annotated pictures", &DetectOptions::draw,
             false),
      {"depth", "torchvision weights: ResNet depth (18, 34, 50, 101)",
       [](DetectOptions& o, const std::string& v) {
         const auto d = to_integer("depth", v, 18, 101);
         if (d != 18 && d != 34 && d != 50 && d != 101)
           throw std::invalid_argument("--depth: expected 18, 34, 50 or 101, got '" + v + "'");
         o.depth = static_cast<int>(d);
       },
       [](const DetectOptions& o) { return std::to_string(o.depth); }},
      integer("fpn-channels", "torchvision weights: FPN width", &DetectOptions::fpn_channels, 8,
              1024),
      integer("representation", "torchvision weights: box-head width",
              &DetectOptions::representation, 16, 4096),
      optional_number("test-size", "short side of the network input", &DetectOptions::test_size, 32,
                      4096, "the checkpoint's, else 800"),
      optional_number("max-size", "longest side limit", &DetectOptions::max_size, 32, 8192,
                      "the checkpoint's, else 1333"),
  };
  return table;
}

}  // namespace

DetectOptions parse_detect_options(int argc, const char* const* argv, bool& help_requested) {
  help_requested = false;
  DetectOptions o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      help_requested = true;
      return o;
    }
  if (args.empty() || args[0] != "detect")
    throw std::invalid_argument("parse_detect_options: argv[1] must be 'detect'");
  o.device = default_device();  // --device overrides it
  apply_flags(flags(), args, 1, o, "train_dreambox detect --help");
  if (o.weights.empty())
    throw std::invalid_argument("--weights FILE is required (a checkpoint or torchvision weights)");
  if (o.images.empty())
    throw std::invalid_argument("--images PATH is required (an image, a folder or a list file)");
  return o;
}

std::string detect_help() {
  return "usage: train_dreambox detect --weights FILE --images PATH [--flag value ...]\n"
         "  runs a detector on your images: every detection gets a class, a score, an OOD score\n"
         "  and its energy; detections over the OOD threshold are called 'unknown'.\n\n"
         "flags:\n" +
         flags_help(flags(), [] {
           DetectOptions defaults;
           defaults.device = default_device();
           return defaults;
         }());
}

}  // namespace train
