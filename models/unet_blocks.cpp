// Forward passes of the UNet blocks (scale-shift ResNet block, self-attention, resampling,
// timestep MLP); registration order is diffusers' state-dict order.
#include "models/unet_blocks.h"

#include "engine/autograd.h"
#include "engine/functional.h"
#include "engine/ops.h"

namespace models {

using engine::nn::Conv2d;
using engine::nn::GroupNorm;
using engine::nn::Linear;

std::shared_ptr<Conv2d> conv3x3(std::int64_t in,
                                std::int64_t out,
                                engine::Generator& gen,
                                std::int64_t stride) {
  return std::make_shared<Conv2d>(
      in, out, engine::Pair{3, 3},
      engine::nn::Conv2dOptions{.stride = {stride, stride}, .padding = {1, 1}}, gen);
}

void zero_parameters(engine::nn::Module& module) {
  engine::autograd::NoGradGuard no_grad;
  for (const Tensor& p : module.parameters()) p.zero_();
}

ResnetBlock2D::ResnetBlock2D(std::int64_t in_channels,
                             std::int64_t out_channels,
                             std::int64_t temb_channels,
                             const BlockOptions& options,
                             engine::Generator& gen)
    : dropout_(options.dropout) {
  const auto norm = [&](std::int64_t channels) {
    return std::make_shared<GroupNorm>(options.norm_num_groups, channels, options.norm_eps);
  };
  norm1_ = register_module("norm1", norm(in_channels));
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, gen));
  time_emb_proj_ = register_module(
      "time_emb_proj", std::make_shared<Linear>(temb_channels, 2 * out_channels, true, gen));
  norm2_ = register_module("norm2", norm(out_channels));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, gen));
  zero_parameters(*conv2_);
  if (in_channels != out_channels)
    conv_shortcut_ = register_module(
        "conv_shortcut",
        std::make_shared<Conv2d>(in_channels, out_channels, engine::Pair{1, 1},
                                 engine::nn::Conv2dOptions{}, gen));
}

Tensor norm_silu(const GroupNorm& norm, const Tensor& x, const Tensor& scale, const Tensor& shift) {
  return engine::group_norm_silu(x, norm.num_groups, norm.weight, norm.bias, norm.eps, scale,
                                 shift);
}

Tensor ResnetBlock2D::forward(const Tensor& x, const Tensor& emb) {
  Tensor h = conv1_->forward(norm_silu(*norm1_, x));  // [N, out, H, W]
  const std::int64_t c = h.size(1);
  const Tensor ss = time_emb_proj_->forward(engine::silu(emb));         // [N, 2 out]
  const Tensor scale = ss.narrow(1, 0, c), shift = ss.narrow(1, c, c);  // [N, out]
  h = engine::dropout(norm_silu(*norm2_, h, scale, shift), dropout_, is_training());
  h = conv2_->forward(h);
  return engine::add(conv_shortcut_ ? conv_shortcut_->forward(x) : x, h);
}

AttentionBlock::AttentionBlock(std::int64_t channels,
                               std::int64_t head_dim,
                               const BlockOptions& options,
                               engine::Generator& gen) {
  ENGINE_CHECK(head_dim > 0 && channels % head_dim == 0, "AttentionBlock: head_dim ", head_dim,
               " does not divide ", channels, " channels");
  heads_ = channels / head_dim;
  group_norm_ = register_module(
      "group_norm", std::make_shared<GroupNorm>(options.norm_num_groups, channels, options.norm_eps));
  const auto linear = [&] { return std::make_shared<Linear>(channels, channels, true, gen); };
  to_q_ = register_module("to_q", linear());
  to_k_ = register_module("to_k", linear());
  to_v_ = register_module("to_v", linear());
  auto to_out = register_module("to_out", std::make_shared<engine::nn::Sequential>());
  to_out_ = to_out->push_back(linear());  // "to_out.0"; diffusers' to_out.1 is a dropout
  zero_parameters(*to_out_);
}

Tensor AttentionBlock::forward(const Tensor& x) {
  const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const Tensor tokens = group_norm_->forward(x).reshape({n, c, h * w}).transpose(1, 2);  // [N, L, C]
  const auto split_heads = [&](const Tensor& t) {  // [N, L, C] -> [N, heads, L, C / heads]
    return t.reshape({n, h * w, heads_, c / heads_}).permute({0, 2, 1, 3});
  };
  const Tensor a = engine::scaled_dot_product_attention(split_heads(to_q_->forward(tokens)),
                                                        split_heads(to_k_->forward(tokens)),
                                                        split_heads(to_v_->forward(tokens)));
  const Tensor merged = a.permute({0, 2, 1, 3}).reshape({n, h * w, c});   // [N, L, C]
  const Tensor out = to_out_->forward(merged).transpose(1, 2).reshape({n, c, h, w});
  return engine::add(x, out);
}

Downsample2D::Downsample2D(std::int64_t channels, engine::Generator& gen) {
  conv_ = register_module("conv", conv3x3(channels, channels, gen, 2));
}

Tensor Downsample2D::forward(const Tensor& x) {
  return conv_->forward(x);
}

Upsample2D::Upsample2D(std::int64_t channels, engine::Generator& gen) {
  conv_ = register_module("conv", conv3x3(channels, channels, gen));
}

Tensor Upsample2D::forward(const Tensor& x) {
  return conv_->forward(engine::upsample_nearest(x, 2));
}

TimestepEmbedding::TimestepEmbedding(std::int64_t in_channels,
                                     std::int64_t time_embed_dim,
                                     engine::Generator& gen) {
  linear_1_ =
      register_module("linear_1", std::make_shared<Linear>(in_channels, time_embed_dim, true, gen));
  linear_2_ = register_module("linear_2",
                              std::make_shared<Linear>(time_embed_dim, time_embed_dim, true, gen));
}

Tensor TimestepEmbedding::forward(const Tensor& x) {
  return linear_2_->forward(engine::silu(linear_1_->forward(x)));
}

}  // namespace models
