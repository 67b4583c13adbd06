// Basic layers with PyTorch's names, shapes and default initialisation: Linear, Embedding,
// Sequential and the activation modules.
#pragma once

#include <functional>
#include <optional>

#include "engine/nn/module.h"
#include "engine/random.h"

namespace engine::nn {

// y = x W^T + b; weight [out, in], bias [out]; both U(-1/sqrt(in), 1/sqrt(in)) as torch.nn.Linear.
class Linear : public Module {
 public:
  Linear(std::int64_t in_features,
         std::int64_t out_features,
         bool bias = true,
         Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;  // [..., in] -> [..., out]
  Tensor weight, bias;
};

// Lookup table weight [num, dim], N(0, 1) init; the padding row (if any) starts at zero and
// never receives gradient.
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings,
            std::int64_t embedding_dim,
            std::optional<std::int64_t> padding_idx = std::nullopt,
            Generator& gen = default_generator());
  Tensor forward(const Tensor& indices) override;  // i64/i32 [...] -> [..., dim]
  Tensor weight;

 private:
  std::optional<std::int64_t> padding_idx_;
};

// Runs its children in order; they are named "0", "1", ... as in torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential() = default;
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    modules_.push_back(module);
    return register_module(std::to_string(modules_.size() - 1), std::move(module));
  }
  Tensor forward(const Tensor& x) override;
  std::size_t size() const { return modules_.size(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// A parameter-free module applying one function (ReLU, SiLU, GELU, Tanh, Sigmoid, ...).
class Activation : public Module {
 public:
  explicit Activation(std::function<Tensor(const Tensor&)> fn) : fn_(std::move(fn)) {}
  Tensor forward(const Tensor& x) override { return fn_(x); }

 private:
  std::function<Tensor(const Tensor&)> fn_;
};

std::shared_ptr<Activation> ReLU();
std::shared_ptr<Activation> SiLU();
std::shared_ptr<Activation> GELU();
std::shared_ptr<Activation> Tanh();
std::shared_ptr<Activation> Sigmoid();

}  // namespace engine::nn
