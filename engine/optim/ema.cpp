// The EMA update through the op front-ends (so it runs on whatever device holds the weights).
#include "engine/optim/ema.h"

#include <algorithm>
#include <set>
#include <string>

#include "engine/autograd.h"
#include "engine/ops.h"

namespace engine::optim {

double ema_decay_at(double decay, std::int64_t step) {
  return std::min(decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void ema_update(nn::Module& shadow, const nn::Module& model, double decay, std::int64_t step) {
  ENGINE_CHECK(decay >= 0.0 && decay <= 1.0, "ema_update: decay must lie in [0, 1], got ", decay);
  const double d = ema_decay_at(decay, step);
  autograd::NoGradGuard no_grad;
  const nn::NamedTensors target = shadow.state_dict(), source = model.state_dict();
  ENGINE_CHECK(target.size() == source.size(), "ema_update: the EMA copy has ", target.size(),
               " tensors, the model ", source.size());
  std::set<std::string> parameters;
  for (const auto& [name, p] : model.named_parameters()) parameters.insert(name);
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto& [name, s] = target[i];
    const Tensor& m = source[i].second;
    ENGINE_CHECK(name == source[i].first && s.shape() == m.shape(), "ema_update: '", name,
                 "' does not match the model's '", source[i].first, "'");
    if (parameters.count(name) != 0)
      s.copy_(add(mul(s, d), mul(m.detach(), 1.0 - d)));
    else
      s.copy_(m.detach());
  }
}

}  // namespace engine::optim
