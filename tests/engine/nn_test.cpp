// nn modules: PyTorch-style dotted names, state-dict loading with a full mismatch report,
// train/eval propagation, Linear/Embedding initialisation and gradients.
#include <gtest/gtest.h>

#include "engine/nn/layers.h"
#include "test_util.h"

using namespace engine;

namespace {

class Block : public nn::Module {
 public:
  Block() {
    fc = register_module("fc", std::make_shared<nn::Linear>(3, 2));
    scale = register_parameter("scale", ones({2}));
    count = register_buffer("count", zeros({1}, {.dtype = DType::i64}));
  }
  std::shared_ptr<nn::Linear> fc;
  Tensor scale, count;
};

std::vector<std::string> names(const nn::NamedTensors& list) {
  std::vector<std::string> out;
  for (const auto& [n, _] : list) out.push_back(n);
  return out;
}

TEST(Nn, DottedNamesInPyTorchOrder) {
  nn::Sequential seq;
  seq.push_back(std::make_shared<Block>());
  seq.push_back(nn::ReLU());
  seq.push_back(std::make_shared<nn::Linear>(2, 1, false));
  EXPECT_EQ(names(seq.named_parameters()),
            (std::vector<std::string>{"0.scale", "0.fc.weight", "0.fc.bias", "2.weight"}));
  EXPECT_EQ(names(seq.state_dict()), (std::vector<std::string>{"0.scale", "0.count", "0.fc.weight",
                                                               "0.fc.bias", "2.weight"}));
  EXPECT_EQ(names(seq.named_buffers()), (std::vector<std::string>{"0.count"}));
  seq.eval();
  EXPECT_FALSE(std::static_pointer_cast<Block>(seq.named_children()[0].second)->fc->is_training());
}

TEST(Nn, LoadStateDictReportsEveryProblem) {
  Block block;
  nn::NamedTensors source = {{"scale", full({2}, 3.0)},
                             {"count", full({1}, 7.0, {.dtype = DType::i64})},
                             {"fc.weight", ones({2, 4})},  // wrong shape
                             {"extra", ones({1})}};        // unexpected; fc.bias missing
  try {
    block.load_state_dict(source);
    FAIL() << "strict load should throw";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("missing key: fc.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("unexpected key: extra"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fc.weight: module [2, 3] vs source [2, 4]"), std::string::npos) << msg;
  }
  EXPECT_EQ(block.scale.to_vector<float>(),
            (std::vector<float>{1, 1}));  // strict failure loads nothing
  const nn::LoadReport report = block.load_state_dict(source, false);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(block.scale.to_vector<float>(), (std::vector<float>{3, 3}));
  EXPECT_EQ(block.count.item(), 7);
  EXPECT_TRUE(block.scale.requires_grad());
}

TEST(Nn, LinearInitAndGradients) {
  Generator gen(3);
  nn::Linear fc(16, 4, true, gen);
  const double bound = 0.25;
  EXPECT_LE(amax(abs(fc.weight)).item(), bound);
  EXPECT_GT(amax(abs(fc.weight)).item(), 0.5 * bound);
  Tensor x = ones({5, 16});
  sum(fc(x)).backward();
  EXPECT_EQ(fc.weight.grad().to_vector<float>(), std::vector<float>(64, 5.0f));
  EXPECT_EQ(fc.bias.grad().to_vector<float>(), std::vector<float>(4, 5.0f));
  EXPECT_THROW(fc(ones({5, 15})), Error);
}

TEST(Nn, EmbeddingLookupAndPaddingRow) {
  Generator gen(4);
  nn::Embedding emb(5, 3, 0, gen);
  const Tensor idx = from_vector<std::int64_t>({1, 0, 1, 4}, {2, 2});
  const Tensor out = emb(idx);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  const auto w = emb.weight.to_vector<float>(), o = out.to_vector<float>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(o[0 * 3 + c], w[1 * 3 + c]);
    EXPECT_EQ(o[1 * 3 + c], 0.0f);  // padding row is zero
    EXPECT_EQ(o[3 * 3 + c], w[4 * 3 + c]);
  }
  sum(out).backward();
  const auto g = emb.weight.grad().to_vector<float>();
  EXPECT_EQ(g[1 * 3], 2.0f);  // index 1 used twice
  EXPECT_EQ(g[0], 0.0f);      // padding row gets no gradient
  EXPECT_EQ(g[2 * 3], 0.0f);  // unused row
  EXPECT_THROW(emb(from_vector<std::int64_t>({5})), Error);
}

}  // namespace
