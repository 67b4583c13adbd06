// Linear, Embedding, Sequential and the activation modules: initialisation as PyTorch's
// defaults (from the given Philox generator) and forward passes built from engine ops.
#include "engine/nn/layers.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/ops.h"

namespace engine::nn {

Linear::Linear(std::int64_t in_features,
               std::int64_t out_features,
               bool with_bias,
               Generator& gen) {
  ENGINE_CHECK(in_features > 0 && out_features > 0, "Linear: sizes must be positive, got ",
               in_features, " -> ", out_features);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  Tensor w = empty({out_features, in_features});
  weight = register_parameter("weight", uniform_(w, -bound, bound, gen));
  if (with_bias) {
    Tensor b = empty({out_features});
    bias = register_parameter("bias", uniform_(b, -bound, bound, gen));
  }
}

Tensor Linear::forward(const Tensor& x) {
  return linear(x, weight, bias);
}

Embedding::Embedding(std::int64_t num_embeddings,
                     std::int64_t embedding_dim,
                     std::optional<std::int64_t> padding_idx,
                     Generator& gen)
    : padding_idx_(padding_idx) {
  ENGINE_CHECK(num_embeddings > 0 && embedding_dim > 0, "Embedding: sizes must be positive");
  ENGINE_CHECK(!padding_idx || (*padding_idx >= 0 && *padding_idx < num_embeddings),
               "Embedding: padding_idx ", padding_idx.value_or(-1), " out of range [0, ",
               num_embeddings, ")");
  Tensor w = empty({num_embeddings, embedding_dim});
  normal_(w, 0.0, 1.0, gen);
  if (padding_idx) w.select(0, *padding_idx).zero_();
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) {
  Shape shape = indices.shape();
  shape.push_back(weight.size(1));
  Tensor out = index_select(weight, 0, indices.reshape({-1})).reshape(shape);  // [..., dim]
  if (padding_idx_) {
    // Zero the padding rows' output so that their gradient is zero too.
    const Tensor keep = ne(indices, static_cast<double>(*padding_idx_)).unsqueeze(-1);
    out = where(keep, out, 0.0);
  }
  return out;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& m : modules_) y = m->forward(y);
  return y;
}

std::shared_ptr<Activation> ReLU() {
  return std::make_shared<Activation>([](const Tensor& x) { return relu(x); });
}
std::shared_ptr<Activation> SiLU() {
  return std::make_shared<Activation>([](const Tensor& x) { return silu(x); });
}
std::shared_ptr<Activation> GELU() {
  return std::make_shared<Activation>([](const Tensor& x) { return gelu(x); });
}
std::shared_ptr<Activation> Tanh() {
  return std::make_shared<Activation>([](const Tensor& x) { return tanh(x); });
}
std::shared_ptr<Activation> Sigmoid() {
  return std::make_shared<Activation>([](const Tensor& x) { return sigmoid(x); });
}

}  // namespace engine::nn
