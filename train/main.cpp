// train_dreambox: the program users run. `shapes` generates the synthetic data set (once) and runs
// the stage pipeline (train/pipeline.h) on a CPU in minutes; `voc` runs it on PASCAL VOC;
// `detect` (train/detect.h) runs a trained detector on the user's own images.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "train/detect.h"
#include "train/options.h"
#include "train/pipeline.h"
#include "train/threading.h"

int main(int argc, char** argv) {
  train::configure_threads(argv);
  if (argc > 1 && std::string(argv[1]) == "detect") return train::detect_main(argc, argv);
  try {
    bool help = false;
    const train::Options options = train::parse_options(argc, argv, help);
    if (help) {
      std::printf("%s", train::options_help().c_str());
      return 0;
    }
    return train::run_pipeline(options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "train_dreambox: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ntrain_dreambox: error: %s\n", e.what());
    return 1;
  }
}
