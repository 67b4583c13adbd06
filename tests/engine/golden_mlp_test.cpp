// End-to-end check of the training stack against PyTorch: an MLP trained 10 steps with SGD
// (momentum, warmup), SGD (nesterov, clipping) and AdamW gives PyTorch's losses and weights.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/io/safetensors.h"
#include "engine/nn/layers.h"
#include "engine/optim/optimizer.h"
#include "engine/optim/schedule.h"
#include "test_util.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_mlp_training.py";

io::SafetensorsFile load_golden() {
  io::SafetensorsFile file =
      io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/mlp_training.safetensors");
  EXPECT_EQ(file.metadata.at("format_version"), "1") << kRegenerate;
  return file;
}

std::shared_ptr<nn::Sequential> make_mlp() {
  auto mlp = std::make_shared<nn::Sequential>();
  mlp->push_back(std::make_shared<nn::Linear>(4, 8));
  mlp->push_back(nn::Tanh());
  mlp->push_back(std::make_shared<nn::Linear>(8, 3));
  return mlp;
}

nn::NamedTensors with_prefix(const io::SafetensorsFile& file, const std::string& prefix) {
  nn::NamedTensors out;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind(prefix, 0) == 0) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

// Mean negative log-likelihood of the labels (cross entropy) over the batch.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  return neg(mean(gather(log_softmax(logits, 1), 1, labels.unsqueeze(1))));
}

void expect_rel_close(const Tensor& got, const Tensor& want, const std::string& what) {
  const auto g = got.contiguous().to_vector<float>(), w = want.to_vector<float>();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (std::size_t i = 0; i < g.size(); ++i)
    EXPECT_LE(std::abs(g[i] - w[i]), 1e-5 * std::abs(w[i]) + 1e-7)
        << what << " element " << i << ": " << g[i] << " vs PyTorch " << w[i] << "; "
        << kRegenerate;
}

void train_and_compare(const std::string& run,
                       const std::function<std::unique_ptr<optim::Optimizer>(nn::Module&)>& make,
                       const optim::Schedule& schedule,
                       std::optional<double> clip) {
  const io::SafetensorsFile golden = load_golden();
  auto mlp = make_mlp();
  mlp->load_state_dict(with_prefix(golden, "init."));
  auto optimizer = make(*mlp);
  const Tensor x = golden.at("x"), y = golden.at("y");
  std::vector<float> losses;
  for (int step = 0; step < 10; ++step) {
    schedule.apply(*optimizer, step);
    optimizer->zero_grad();
    Tensor loss = cross_entropy(mlp->forward(x), y);
    loss.backward();
    if (clip) optim::clip_grad_norm_(mlp->parameters(), *clip);
    optimizer->step();
    losses.push_back(static_cast<float>(loss.item()));
  }
  expect_rel_close(from_vector(losses), golden.at(run + ".losses"), run + " losses");
  const nn::NamedTensors final_state = with_prefix(golden, run + ".final.");
  ASSERT_EQ(final_state.size(), 4u);
  for (const auto& [name, want] : final_state) {
    const auto own = mlp->state_dict();
    auto it = std::find_if(own.begin(), own.end(), [&](const auto& p) { return p.first == name; });
    ASSERT_NE(it, own.end()) << name;
    expect_rel_close(it->second, want, run + " final " + name);
  }
}

TEST(GoldenMlp, SgdMomentumWithWarmupMatchesPyTorch) {
  train_and_compare(
      "sgd",
      [](nn::Module& m) {
        return std::make_unique<optim::SGD>(
            m.parameters(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4});
      },
      optim::LinearWarmup(5, 0.25, nullptr), std::nullopt);
}

TEST(GoldenMlp, SgdNesterovWithClippingMatchesPyTorch) {
  train_and_compare(
      "nesterov",
      [](nn::Module& m) {
        return std::make_unique<optim::SGD>(
            m.parameters(), optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
      },
      optim::ConstantSchedule(), 0.5);
}

TEST(GoldenMlp, AdamWMatchesPyTorch) {
  train_and_compare(
      "adamw",
      [](nn::Module& m) {
        return std::make_unique<optim::AdamW>(
            m.parameters(), optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.01});
      },
      optim::ConstantSchedule(), std::nullopt);
}

}  // namespace
