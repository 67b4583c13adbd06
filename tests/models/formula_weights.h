// Deterministic "formula" weights shared by the model tests and their golden generators
// (tests/golden/gen_detector_heads.py load_formula): a sine wave per state-dict tensor.
#pragma once

#include <cmath>

#include "engine/nn/module.h"
#include "engine/tensor.h"

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

}  // namespace test_formula
