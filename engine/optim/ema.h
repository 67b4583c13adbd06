// Exponential moving average of a model's weights (the copy diffusion models sample with), with
// the warm-up of diffusers' EMAModel so that short runs do not average in the initialisation.
#pragma once

#include <cstdint>

#include "engine/nn/module.h"

namespace engine::optim {

// The decay used after `step` updates: min(decay, (1 + step) / (10 + step)).
double ema_decay_at(double decay, std::int64_t step);

// shadow <- d * shadow + (1 - d) * model for every parameter, d = ema_decay_at(decay, step);
// buffers are copied. Both modules must have the same parameter names and shapes.
void ema_update(nn::Module& shadow, const nn::Module& model, double decay, std::int64_t step);

}  // namespace engine::optim
