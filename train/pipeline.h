// train_dreambox's stage pipeline: diffusion -> outliers -> detector trainings (vanilla,
// dreambox, vos) -> eval. --stages runs a subset; every stage resumes from its outputs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "train/data_sets.h"
#include "train/options.h"

namespace train {

// What the stages share while a run goes on.
struct PipelineContext {
  const Options& options;
  std::string run_root;  // the run folder; each stage writes into its own subfolder
  DataSets data;
  // The outlier data set mixed into the Dream-Box detector's training set: from --outliers, or
  // what the outliers stage wrote. Empty until one of them provides it.
  std::optional<data::Dataset> outliers;
  std::string outliers_name;  // how the outlier set is named in the output
};

struct Stage {
  std::string name;
  std::string what;
  std::function<void(PipelineContext&)> run;  // empty: the stage is not built yet
};

// All stages in pipeline order (unbuilt ones included, so --stages can name them with a clear
// error).
const std::vector<Stage>& pipeline_stages();
// Throws std::invalid_argument when a name is not a stage or names a stage not built yet.
void check_stage_names(const std::vector<std::string>& names);
// The stages a run does when --stages is not given: every built stage.
std::vector<std::string> default_stages();

// Loads the data, creates the run folder (config.json) and runs the selected stages in pipeline
// order. Returns the process exit code.
int run_pipeline(const Options& options);

}  // namespace train
