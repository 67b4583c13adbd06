// The class-conditional inpainting UNet of Dream-Box (ADM-style, pixel space) with diffusers'
// UNet2DModel parameter names, its configuration and the named presets cpu-demo and gpu-base.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/unet_blocks.h"

namespace models {

// Name mapping (diffusers UNet2DModel with resnet_time_scale_shift="scale_shift",
// num_class_embeds = num_classes + 1; guided-diffusion names in brackets):
//   conv_in                         [input_blocks.0.0]
//   time_embedding.linear_1/2       [time_embed.0 / time_embed.2]
//   class_embedding                 [label_emb]  rows 0..num_classes-1, row num_classes = "null"
//   down_blocks.i.resnets.j.{norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut}
//                                   [in_layers.0, in_layers.2, emb_layers.1, out_layers.0,
//                                    out_layers.3, skip_connection]
//   down_blocks.i.attentions.j.{group_norm, to_q, to_k, to_v, to_out.0}  [norm, qkv, proj_out]
//   down_blocks.i.downsamplers.0.conv, up_blocks.i.upsamplers.0.conv    [op / conv]
//   mid_block.resnets.{0,1}, mid_block.attentions.0                      [middle_block.0/2, .1]
//   up_blocks.i.resnets.j (layers_per_block + 1 each), up_blocks.i.attentions.j
//   conv_norm_out, conv_out                                              [out.0, out.2]
struct UNetConfig {
  std::int64_t sample_size = 32;                    // H = W of the training crops
  std::int64_t in_channels = 7;                     // noisy image (3), mask (1), masked image (3)
  std::int64_t out_channels = 3;                    // eps (or v) for the 3 image channels
  std::int64_t base_channels = 32;                  // block_out_channels = base * channel_mult
  std::vector<std::int64_t> channel_mult = {1, 2, 2};
  std::int64_t layers_per_block = 1;                // resnets per down level (up: one more)
  std::vector<std::int64_t> attention_resolutions = {8};  // feature-map sizes with self-attention
  std::int64_t attention_head_dim = 32;             // channels per head
  std::int64_t num_classes = 20;                    // the table holds one more row: "null"
  std::int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  double dropout = 0.0;

  std::vector<std::int64_t> block_out_channels() const;
  std::int64_t time_embed_dim() const { return 4 * base_channels; }
  std::int64_t null_class() const { return num_classes; }
  void validate() const;  // throws engine::Error with what to change

  // "cpu-demo" (32 px, base 32, mult 1,2,2, 1 block, attention at 8, ~1.2M parameters) and
  // "gpu-base" (64 px, base 96, mult 1,2,3,4, 2 blocks, attention at 16 and 8, ~52M).
  static UNetConfig preset(const std::string& name);
};

// One resolution level of the down path, the middle or the up path: its resnets, their
// attentions (none or one per resnet) and an optional resampler (Downsample2D / Upsample2D).
class UNetLevel : public engine::nn::Module {
 public:
  std::vector<std::shared_ptr<ResnetBlock2D>> resnets;
  std::vector<std::shared_ptr<AttentionBlock>> attentions;
  std::shared_ptr<engine::nn::Module> resampler;
  // Registers "attentions.j", "resnets.j" and "<resampler_name>.0" in diffusers' order.
  void register_all(const char* resampler_name);
};

class UNet2DModel : public engine::nn::Module {
 public:
  explicit UNet2DModel(const UNetConfig& config,
                       engine::Generator& gen = engine::default_generator());

  // sample [N, in_channels, H, W], timesteps [N] (any dtype, may be fractional),
  // class_labels i64 [N] in [0, num_classes] (num_classes = null) -> [N, out_channels, H, W]
  Tensor forward(const Tensor& sample, const Tensor& timesteps, const Tensor& class_labels);
  // The same with class embeddings given directly, class_emb [N, time_embed_dim] (Dream-Box
  // feeds e_c + N(0, std^2) here).
  Tensor forward_embedded(const Tensor& sample, const Tensor& timesteps, const Tensor& class_emb);
  // Rows of the class table: labels i64 [N] -> [N, time_embed_dim].
  Tensor class_embedding(const Tensor& class_labels);

  const UNetConfig& config() const { return config_; }
  engine::Device device() const;  // where the weights live (Module::to moves them)

 private:
  UNetConfig config_;
  std::shared_ptr<engine::nn::Conv2d> conv_in_, conv_out_;
  std::shared_ptr<TimestepEmbedding> time_embedding_;
  std::shared_ptr<engine::nn::Embedding> class_embedding_;
  std::vector<std::shared_ptr<UNetLevel>> down_, up_;
  std::shared_ptr<UNetLevel> mid_;
  std::shared_ptr<engine::nn::GroupNorm> conv_norm_out_;
};

// Number of elements over all parameters.
std::int64_t count_parameters(const engine::nn::Module& module);

}  // namespace models
