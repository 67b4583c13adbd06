// Small torchvision models saved as .pth and converted by scripts/convert_torchvision.py into a
// fresh folder (tests/golden/run_convert_check.py), for tests that load converted weights.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "engine/io/safetensors.h"

namespace test_support {

// Runs the torchvision side into a fresh folder (removed by the destructor); dir stays empty when
// Debian's torch is not installed. `keep` stays true (and the folder with its log) on failure.
struct ConvertedModels {
  std::filesystem::path dir;
  bool keep = true;
  explicit ConvertedModels(const std::string& options = "") {
    if (std::system("/usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1") != 0) return;
    dir = std::filesystem::temp_directory_path() / ("dreambox_convert_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string command = "/usr/bin/python3 " + std::string(DREAMBOX_SOURCE_DIR) +
                                "/tests/golden/run_convert_check.py " + dir.string() + " " +
                                options + " > " + (dir / "log.txt").string() + " 2>&1";
    if (std::system(command.c_str()) != 0)
      ADD_FAILURE() << command << " failed; see " << (dir / "log.txt") << " (kept)";
    else
      keep = false;
  }
  ~ConvertedModels() {
    if (!dir.empty() && !keep) std::filesystem::remove_all(dir);
  }
  ConvertedModels(const ConvertedModels&) = delete;
  ConvertedModels& operator=(const ConvertedModels&) = delete;
  std::string path(const std::string& name) const { return (dir / name).string(); }
  engine::io::SafetensorsFile load(const std::string& name) const {
    return engine::io::load_safetensors(path(name));
  }
};

}  // namespace test_support
