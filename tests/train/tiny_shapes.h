// A tiny generated shapes data set in a folder of its own (test name + process id: ctest runs
// tests in parallel and other checkouts run them too) and small diffusion-stage flags for it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "data/coco.h"
#include "data/shapes/generator.h"
#include "tests/train/parse_flags.h"

namespace train_test {

// The "loss" of every line of a stage's log.jsonl.
inline std::vector<double> logged_losses(const std::string& log) {
  std::vector<double> out;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line).at("loss").get<double>());
  return out;
}

// 6 training images of 64-80 px; removed again at the end of the test.
class TinyShapes : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    root_ = (fs::temp_directory_path() /
             (std::string("dreambox_diffusion_stage_") +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
              std::to_string(::getpid())))
                .string();
    fs::remove_all(root_);
    data::shapes::ShapesConfig config;
    config.trainval_images = 6;
    config.test_images = 1;
    config.near_ood_images = 1;
    config.far_ood_images = 1;
    config.render.min_side = 64;
    config.render.max_side = 80;
    const auto layout = data::shapes::generate_shapes(root_, config).layout;
    data::Diagnostics diag;
    train_set_ = data::read_coco(layout.trainval_json, layout.image_dir, diag);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  // shapes flags with an 8 px UNet, batches of 8 and a checkpoint every 2 steps, then `extra`.
  train::Options options(std::vector<const char*> extra) const {
    std::vector<const char*> args = {"shapes", "--diffusion-size",   "8", "--diffusion-batch-size",
                                     "8",      "--checkpoint-every", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto o = parse(args);
    o.data_root = root_;
    return o;
  }

  std::string root_;
  data::Dataset train_set_;
};

}  // namespace train_test
