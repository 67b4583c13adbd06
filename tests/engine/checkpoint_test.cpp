// Module checkpoints through safetensors: a saved module loads into a fresh one with identical
// outputs, and a checkpoint of another architecture is refused with a report naming the file.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/io/checkpoint.h"
#include "engine/nn/layers.h"
#include "test_util.h"

using namespace engine;

namespace {

std::shared_ptr<nn::Sequential> mlp(std::int64_t hidden, std::uint64_t seed) {
  Generator gen(seed);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(3, hidden, true, gen));
  m->push_back(nn::GELU());
  m->push_back(std::make_shared<nn::Linear>(hidden, 2, true, gen));
  return m;
}

TEST(Checkpoint, RoundTripGivesIdenticalOutputs) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "dreambox_checkpoint_test.safetensors").string();
  auto a = mlp(5, 1), b = mlp(5, 2);
  const Tensor x = randn({4, 3});
  EXPECT_NE(a->forward(x).to_vector<float>(), b->forward(x).to_vector<float>());
  io::save_module(*a, path, {{"step", "7"}});
  EXPECT_TRUE(io::load_module(*b, path).ok());
  EXPECT_EQ(a->forward(x).to_vector<float>(), b->forward(x).to_vector<float>());

  auto other = mlp(6, 3);
  try {
    io::load_module(*other, path);
    FAIL() << "a checkpoint of another shape must be refused";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("0.weight: module [6, 3] vs source [5, 3]"), std::string::npos) << msg;
  }
  std::filesystem::remove(path);
}

}  // namespace
