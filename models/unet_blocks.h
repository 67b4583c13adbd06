// Building blocks of the diffusion UNet with diffusers' UNet2DModel names: the scale-shift
// ResnetBlock2D, the self-attention block, Downsample2D / Upsample2D and TimestepEmbedding.
#pragma once

#include <memory>

#include "engine/nn/conv_norm.h"
#include "engine/nn/layers.h"

namespace models {

using engine::Tensor;

// Shared by every block of one UNet.
struct BlockOptions {
  std::int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  double dropout = 0.0;
};

// diffusers ResnetBlock2D with time_embedding_norm="scale_shift" (ADM's use_scale_shift_norm):
//   h = conv1(SiLU(norm1(x)));  (scale, shift) = chunk(time_emb_proj(SiLU(emb)), 2)
//   h = conv2(dropout(SiLU(norm2(h) * (1 + scale) + shift)));  out = conv_shortcut(x) + h
// conv_shortcut (1x1) exists only when the channel count changes; conv2 starts at zero (ADM).
class ResnetBlock2D : public engine::nn::Module {
 public:
  ResnetBlock2D(std::int64_t in_channels,
                std::int64_t out_channels,
                std::int64_t temb_channels,
                const BlockOptions& options,
                engine::Generator& gen);
  // x [N, in, H, W], emb [N, temb] -> [N, out, H, W]
  Tensor forward(const Tensor& x, const Tensor& emb);

 private:
  std::shared_ptr<engine::nn::GroupNorm> norm1_, norm2_;
  std::shared_ptr<engine::nn::Conv2d> conv1_, conv2_, conv_shortcut_;
  std::shared_ptr<engine::nn::Linear> time_emb_proj_;
  double dropout_;
};

// diffusers Attention as UNet2DModel builds it: x + to_out.0(MHA(to_q, to_k, to_v of
// group_norm(x))) over the H*W positions, heads = channels / head_dim; to_out.0 starts at zero.
class AttentionBlock : public engine::nn::Module {
 public:
  AttentionBlock(std::int64_t channels,
                 std::int64_t head_dim,
                 const BlockOptions& options,
                 engine::Generator& gen);
  Tensor forward(const Tensor& x) override;  // [N, C, H, W] -> [N, C, H, W]

 private:
  std::shared_ptr<engine::nn::GroupNorm> group_norm_;
  std::shared_ptr<engine::nn::Linear> to_q_, to_k_, to_v_, to_out_;
  std::int64_t heads_;
};

// 3x3 convolution with stride 2, padding 1, named "conv": [N, C, H, W] -> [N, C, H/2, W/2].
class Downsample2D : public engine::nn::Module {
 public:
  Downsample2D(std::int64_t channels, engine::Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<engine::nn::Conv2d> conv_;
};

// Nearest x2 then a 3x3 convolution named "conv": [N, C, H, W] -> [N, C, 2H, 2W].
class Upsample2D : public engine::nn::Module {
 public:
  Upsample2D(std::int64_t channels, engine::Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<engine::nn::Conv2d> conv_;
};

// linear_2(SiLU(linear_1(x))): the MLP over the sinusoidal timestep features.
class TimestepEmbedding : public engine::nn::Module {
 public:
  TimestepEmbedding(std::int64_t in_channels, std::int64_t time_embed_dim, engine::Generator& gen);
  Tensor forward(const Tensor& x) override;  // [N, in] -> [N, time_embed_dim]

 private:
  std::shared_ptr<engine::nn::Linear> linear_1_, linear_2_;
};

// silu(norm(x) * (1 + scale) + shift) (scale, shift [N, C], optional): one fused pass when no
// gradient is needed on the CPU (engine::group_norm_silu).
Tensor norm_silu(const engine::nn::GroupNorm& norm,
                 const Tensor& x,
                 const Tensor& scale = {},
                 const Tensor& shift = {});

// A 3x3 convolution with padding 1 (the UNet's usual one).
std::shared_ptr<engine::nn::Conv2d> conv3x3(std::int64_t in,
                                            std::int64_t out,
                                            engine::Generator& gen,
                                            std::int64_t stride = 1);

// Sets every parameter of `module` to zero (ADM's zero_module), outside autograd.
void zero_parameters(engine::nn::Module& module);

}  // namespace models
