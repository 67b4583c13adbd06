// Deterministic "formula" weights shared by the model tests and their golden generators
// (tests/golden/gen_detector_heads.py load_formula): a sine wave per state-dict tensor; the tiny
// diffusion UNet those tests build.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/module.h"
#include "engine/tensor.h"
#include "models/unet.h"

namespace test_formula {

// Tensor number `index` of a state dict: sin(0.43 i + 0.29 index) / sqrt(fan_in), fan_in = 16 for
// vectors (the same as gen_detector_heads.py's formula()).
inline void load_formula(engine::nn::Module& module) {
  engine::nn::NamedTensors values;
  const auto state = module.state_dict();
  for (std::size_t index = 0; index < state.size(); ++index) {
    const engine::Shape& shape = state[index].second.shape();
    const std::int64_t n = engine::numel(shape), fan_in = shape.size() > 1 ? n / shape[0] : 16;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      v[static_cast<std::size_t>(i)] = static_cast<float>(
          std::sin(0.43 * static_cast<double>(i) + 0.29 * static_cast<double>(index)) /
          std::sqrt(static_cast<double>(fan_in)));
    values.emplace_back(state[index].first, engine::from_vector(v, shape));
  }
  module.load_state_dict(values);
}

// The diffusion UNet's formula (tests/golden/gen_diffusion.py formula()): tensor `index` of the
// state dict, w_i = sin(0.61 i + 0.37 index) scaled per kind: biases 0.1 w, other vectors (norm
// weights) 1 + 0.1 w, matrices and kernels w sqrt(3 / fan_in).
inline engine::Tensor diffusion_formula(std::size_t index,
                                        const std::string& name,
                                        const engine::Shape& shape) {
  const std::int64_t n = engine::numel(shape);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const double wave = std::sin(0.61 * static_cast<double>(i) + 0.37 * static_cast<double>(index));
    double v;
    if (name.ends_with("bias"))
      v = 0.1 * wave;
    else if (shape.size() == 1)
      v = 1.0 + 0.1 * wave;
    else
      v = wave * std::sqrt(3.0 / static_cast<double>(n / shape[0]));
    values[static_cast<std::size_t>(i)] = static_cast<float>(v);
  }
  return engine::from_vector(values, shape);
}

// Loads diffusion_formula into every tensor of a UNet's state dict.
inline void load_diffusion_formula(engine::nn::Module& module) {
  const auto state = module.state_dict();
  engine::nn::NamedTensors values;
  for (std::size_t i = 0; i < state.size(); ++i)
    values.emplace_back(state[i].first,
                        diffusion_formula(i, state[i].first, state[i].second.shape()));
  module.load_state_dict(values);
}

// The smallest UNet the configuration allows with every block kind: `size` px, two levels (size,
// size / 2), 16 and 32 channels, attention at size / 2 (two heads of 8), `classes` classes + null.
inline models::UNetConfig tiny_unet_config(std::int64_t size = 16, std::int64_t classes = 3) {
  models::UNetConfig c;
  c.sample_size = size;
  c.base_channels = 16;
  c.channel_mult = {1, 2};
  c.attention_resolutions = {size / 2};
  c.attention_head_dim = 8;
  c.num_classes = classes;
  c.norm_num_groups = 8;
  return c;
}

}  // namespace test_formula
