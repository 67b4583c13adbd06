// A training run's folder: effective config (config.json), a JSONL log of every logged step
// (log.jsonl, flushed per line), atomic checkpoints (checkpoint_last.safetensors) and outputs.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/nn/module.h"
#include "engine/optim/optimizer.h"

namespace train {

struct TrainingState {
  std::int64_t step = 0;   // optimizer steps done
  std::int64_t epoch = 0;  // epoch of the next step
  std::int64_t batch_in_epoch = 0;
  std::uint64_t generator_offset = 0;  // the sampler's Philox offset
};

class RunDirectory {
 public:
  explicit RunDirectory(std::string path);  // creates the folder
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write_json(const std::string& name, const nlohmann::json& value) const;  // atomic
  void log(const nlohmann::json& record);                                       // one line, flushed

  // Model and optimizer tensors plus the training state, written to a temporary file and renamed
  // over checkpoint_last.safetensors, so a crash never leaves a broken checkpoint.
  void save_checkpoint(const engine::nn::Module& model,
                       const engine::optim::Optimizer& optimizer,
                       const TrainingState& state,
                       const nlohmann::json& info) const;
  bool has_checkpoint() const;
  std::string checkpoint_path() const { return file("checkpoint_last.safetensors"); }
  // Loads into model (and optimizer, when given) and returns the saved training state.
  TrainingState load_checkpoint(engine::nn::Module& model,
                                engine::optim::Optimizer* optimizer) const;

 private:
  std::string path_;
  std::ofstream log_;
};

// "12m05s": a duration for progress lines (negative counts as zero).
std::string format_duration(double seconds);

// Loads a checkpoint file (written by save_checkpoint) into a model; returns its info JSON.
nlohmann::json load_model_weights(const std::string& path, engine::nn::Module& model);

}  // namespace train
