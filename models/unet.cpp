// UNet2DModel construction from a UNetConfig (channel bookkeeping of the skip connections as in
// diffusers), the forward pass with its skip stack, and the named presets.
#include "models/unet.h"

#include <algorithm>

#include "engine/functional.h"
#include "engine/ops.h"

namespace models {

using engine::nn::Sequential;

std::vector<std::int64_t> UNetConfig::block_out_channels() const {
  std::vector<std::int64_t> out;
  for (std::int64_t m : channel_mult) out.push_back(base_channels * m);
  return out;
}

void UNetConfig::validate() const {
  ENGINE_CHECK(!channel_mult.empty(), "UNetConfig: channel_mult is empty");
  ENGINE_CHECK(in_channels > 0 && out_channels > 0 && layers_per_block > 0 && num_classes > 0,
               "UNetConfig: in_channels, out_channels, layers_per_block and num_classes must be "
               "positive");
  ENGINE_CHECK(dropout >= 0.0 && dropout < 1.0, "UNetConfig: dropout must lie in [0, 1), got ",
               dropout);
  for (std::int64_t c : block_out_channels())
    ENGINE_CHECK(c > 0 && c % norm_num_groups == 0 && c % attention_head_dim == 0,
                 "UNetConfig: block width ", c, " must be a positive multiple of norm_num_groups (",
                 norm_num_groups, ") and attention_head_dim (", attention_head_dim,
                 "); change base_channels or channel_mult");
  const std::int64_t factor = std::int64_t{1} << (channel_mult.size() - 1);
  ENGINE_CHECK(sample_size > 0 && sample_size % factor == 0, "UNetConfig: sample_size ",
               sample_size, " is not divisible by the UNet's downsampling factor ", factor);
}

UNetConfig UNetConfig::preset(const std::string& name) {
  UNetConfig c;
  if (name == "cpu-demo") return c;  // the defaults
  if (name == "gpu-base") {
    c.sample_size = 64;
    c.base_channels = 96;
    c.channel_mult = {1, 2, 3, 4};
    c.layers_per_block = 2;
    c.attention_resolutions = {16, 8};
    c.dropout = 0.1;
    return c;
  }
  ENGINE_FAIL("UNetConfig: unknown preset '", name, "' (use cpu-demo or gpu-base)");
}

void UNetLevel::register_all(const char* resampler_name) {
  if (!attentions.empty()) {
    auto list = register_module("attentions", std::make_shared<Sequential>());
    for (const auto& a : attentions) list->push_back(a);
  }
  auto list = register_module("resnets", std::make_shared<Sequential>());
  for (const auto& r : resnets) list->push_back(r);
  if (resampler) register_module(resampler_name, std::make_shared<Sequential>())->push_back(resampler);
}

UNet2DModel::UNet2DModel(const UNetConfig& config, engine::Generator& gen) : config_(config) {
  config_.validate();
  const BlockOptions opts{.norm_num_groups = config_.norm_num_groups,
                          .norm_eps = config_.norm_eps,
                          .dropout = config_.dropout};
  const std::vector<std::int64_t> ch = config_.block_out_channels();
  const auto levels = static_cast<std::int64_t>(ch.size());
  const std::int64_t temb = config_.time_embed_dim(), layers = config_.layers_per_block;
  const auto has_attention = [&](std::int64_t level) {
    const std::int64_t res = config_.sample_size >> level;
    const auto& r = config_.attention_resolutions;
    return std::find(r.begin(), r.end(), res) != r.end();
  };
  const auto add_block = [&](UNetLevel& level, std::int64_t in, std::int64_t out, bool attn) {
    level.resnets.push_back(std::make_shared<ResnetBlock2D>(in, out, temb, opts, gen));
    if (attn)
      level.attentions.push_back(
          std::make_shared<AttentionBlock>(out, config_.attention_head_dim, opts, gen));
  };

  conv_in_ = register_module("conv_in", conv3x3(config_.in_channels, ch[0], gen));
  time_embedding_ = register_module(
      "time_embedding", std::make_shared<TimestepEmbedding>(config_.base_channels, temb, gen));
  class_embedding_ = register_module(
      "class_embedding",
      std::make_shared<engine::nn::Embedding>(config_.num_classes + 1, temb, std::nullopt, gen));

  auto down_blocks = register_module("down_blocks", std::make_shared<Sequential>());
  for (std::int64_t i = 0; i < levels; ++i) {
    auto level = std::make_shared<UNetLevel>();
    for (std::int64_t j = 0; j < layers; ++j)
      add_block(*level, j == 0 ? ch[std::max<std::int64_t>(i - 1, 0)] : ch[i], ch[i],
                has_attention(i));
    if (i + 1 < levels) level->resampler = std::make_shared<Downsample2D>(ch[i], gen);
    level->register_all("downsamplers");
    down_.push_back(down_blocks->push_back(level));
  }

  mid_ = std::make_shared<UNetLevel>();
  add_block(*mid_, ch.back(), ch.back(), true);
  add_block(*mid_, ch.back(), ch.back(), false);
  mid_->register_all("upsamplers");  // no resampler: the name is unused
  register_module("mid_block", mid_);

  // Up level i mirrors down level levels-1-i; resnet j reads the previous output concatenated
  // with one popped skip (diffusers' prev_output_channel / res_skip_channels bookkeeping).
  auto up_blocks = register_module("up_blocks", std::make_shared<Sequential>());
  for (std::int64_t i = 0; i < levels; ++i) {
    const std::int64_t down_level = levels - 1 - i;
    const std::int64_t out = ch[down_level];
    const std::int64_t prev = ch[std::min(down_level + 1, levels - 1)];
    const std::int64_t skip_in = ch[std::max<std::int64_t>(down_level - 1, 0)];
    auto level = std::make_shared<UNetLevel>();
    for (std::int64_t j = 0; j <= layers; ++j)
      add_block(*level, (j == 0 ? prev : out) + (j == layers ? skip_in : out), out,
                has_attention(down_level));
    if (down_level > 0) level->resampler = std::make_shared<Upsample2D>(out, gen);
    level->register_all("upsamplers");
    up_.push_back(up_blocks->push_back(level));
  }

  conv_norm_out_ = register_module(
      "conv_norm_out",
      std::make_shared<engine::nn::GroupNorm>(config_.norm_num_groups, ch[0], config_.norm_eps));
  conv_out_ = register_module("conv_out", conv3x3(ch[0], config_.out_channels, gen));
  zero_parameters(*conv_out_);
}

engine::Device UNet2DModel::device() const {
  return conv_in_->weight.device();
}

Tensor UNet2DModel::class_embedding(const Tensor& class_labels) {
  ENGINE_CHECK(class_labels.dim() == 1, "UNet2DModel: class_labels must be [N], got ",
               class_labels.str());
  engine::check_index_range(class_labels, config_.num_classes + 1, "UNet2DModel class_labels");
  return class_embedding_->forward(class_labels);
}

Tensor UNet2DModel::forward(const Tensor& sample,
                            const Tensor& timesteps,
                            const Tensor& class_labels) {
  return forward_embedded(sample, timesteps, class_embedding(class_labels));
}

Tensor UNet2DModel::forward_embedded(const Tensor& sample,
                                     const Tensor& timesteps,
                                     const Tensor& class_emb) {
  const std::int64_t factor = std::int64_t{1} << (down_.size() - 1);
  ENGINE_CHECK(sample.dim() == 4 && sample.size(1) == config_.in_channels,
               "UNet2DModel: sample must be [N, ", config_.in_channels, ", H, W], got ",
               sample.str());
  ENGINE_CHECK(sample.size(2) % factor == 0 && sample.size(3) % factor == 0,
               "UNet2DModel: image size ", sample.size(2), "x", sample.size(3),
               " is not divisible by the downsampling factor ", factor);
  const std::int64_t n = sample.size(0);
  ENGINE_CHECK(timesteps.dim() == 1 && timesteps.size(0) == n, "UNet2DModel: timesteps must be [",
               n, "], got ", timesteps.str());
  ENGINE_CHECK(class_emb.dim() == 2 && class_emb.size(0) == n &&
                   class_emb.size(1) == config_.time_embed_dim(),
               "UNet2DModel: class embeddings must be [", n, ", ", config_.time_embed_dim(),
               "], got ", class_emb.str());

  const Tensor t_freq = engine::timestep_embedding(timesteps.to(sample.dtype()),
                                                   config_.base_channels);  // [N, C0]
  const Tensor emb = engine::add(time_embedding_->forward(t_freq), class_emb);  // [N, 4 C0]

  Tensor h = conv_in_->forward(sample);  // [N, C0, H, W]
  std::vector<Tensor> skips{h};
  const auto run_block = [&](UNetLevel& level, std::size_t j) {
    h = level.resnets[j]->forward(h, emb);
    if (!level.attentions.empty()) h = level.attentions[j]->forward(h);
  };
  for (const auto& level : down_) {
    for (std::size_t j = 0; j < level->resnets.size(); ++j) {
      run_block(*level, j);
      skips.push_back(h);
    }
    if (level->resampler) {
      h = level->resampler->forward(h);  // [N, C_i, H_i / 2, W_i / 2]
      skips.push_back(h);
    }
  }
  run_block(*mid_, 0);
  h = mid_->resnets[1]->forward(h, emb);
  for (const auto& level : up_) {
    for (std::size_t j = 0; j < level->resnets.size(); ++j) {
      h = engine::cat({h, skips.back()}, 1);  // [N, C + C_skip, H_i, W_i]
      skips.pop_back();
      run_block(*level, j);
    }
    if (level->resampler) h = level->resampler->forward(h);  // [N, C_i, 2 H_i, 2 W_i]
  }
  return conv_out_->forward(norm_silu(*conv_norm_out_, h));  // [N, out, H, W]
}

std::int64_t count_parameters(const engine::nn::Module& module) {
  std::int64_t total = 0;
  for (const Tensor& p : module.parameters()) total += p.numel();
  return total;
}

}  // namespace models
