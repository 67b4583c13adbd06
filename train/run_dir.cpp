// Run folder IO: config and log files, and checkpoints as safetensors ("model.*", "optim.*")
// with the training state and run info in the metadata.
#include "train/run_dir.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "engine/io/safetensors.h"

namespace train {

namespace fs = std::filesystem;

RunDirectory::RunDirectory(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) throw std::runtime_error("cannot create run folder '" + path_ + "': " + ec.message());
  log_.open(file("log.jsonl"), std::ios::app);
  if (!log_) throw std::runtime_error("cannot open '" + file("log.jsonl") + "' for writing");
}

void RunDirectory::write_json(const std::string& name, const nlohmann::json& value) const {
  const std::string target = file(name), temporary = target + ".tmp";
  {
    std::ofstream out(temporary);
    out << value.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write '" + temporary + "'");
  }
  fs::rename(temporary, target);
}

void RunDirectory::log(const nlohmann::json& record) {
  log_ << record.dump() << "\n";
  log_.flush();
}

void RunDirectory::save_checkpoint(const engine::nn::Module& model,
                                   const engine::optim::Optimizer& optimizer,
                                   const TrainingState& state,
                                   const nlohmann::json& info) const {
  // Tensors on cuda are read back here: the file holds host copies, loading puts them back on
  // the device of the module and optimizer they are loaded into.
  std::vector<std::pair<std::string, engine::Tensor>> tensors;
  for (const auto& [name, t] : model.state_dict())
    tensors.emplace_back("model." + name, t.to(engine::Device::cpu()));
  for (const auto& [name, t] : optimizer.state())
    tensors.emplace_back("optim." + name, t.to(engine::Device::cpu()));
  const nlohmann::json training = {{"step", state.step},
                                   {"epoch", state.epoch},
                                   {"batch_in_epoch", state.batch_in_epoch},
                                   {"generator_offset", state.generator_offset}};
  engine::io::save_safetensors(checkpoint_path(), tensors,
                               {{"training", training.dump()}, {"info", info.dump()}});
}

bool RunDirectory::has_checkpoint() const {
  return fs::exists(checkpoint_path());
}

namespace {
engine::nn::NamedTensors with_prefix(const engine::io::SafetensorsFile& file,
                                     const std::string& prefix) {
  engine::nn::NamedTensors out;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind(prefix, 0) == 0) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

nlohmann::json metadata_json(const engine::io::SafetensorsFile& file, const std::string& key) {
  auto it = file.metadata.find(key);
  if (it == file.metadata.end())
    throw std::runtime_error("checkpoint '" + file.path + "' has no '" + key + "' metadata");
  try {
    return nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint '" + file.path + "': metadata '" + key +
                             "' is not JSON: " + e.what());
  }
}
}  // namespace

TrainingState RunDirectory::load_checkpoint(engine::nn::Module& model,
                                            engine::optim::Optimizer* optimizer) const {
  const auto file = engine::io::load_safetensors(checkpoint_path());
  model.load_state_dict(with_prefix(file, "model."));
  if (optimizer) optimizer->load_state(with_prefix(file, "optim."));
  const nlohmann::json t = metadata_json(file, "training");
  return {t.at("step").get<std::int64_t>(), t.at("epoch").get<std::int64_t>(),
          t.at("batch_in_epoch").get<std::int64_t>(),
          t.at("generator_offset").get<std::uint64_t>()};
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof(text), "%lldm%02llds", s / 60, s % 60);
  return text;
}

nlohmann::json load_model_weights(const std::string& path, engine::nn::Module& model) {
  const auto file = engine::io::load_safetensors(path);
  model.load_state_dict(with_prefix(file, "model."));
  return metadata_json(file, "info");
}

}  // namespace train
