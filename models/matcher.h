// Training-target plumbing shared by the RPN and the RoI heads: torchvision's Matcher (IoU
// thresholds with optional low-quality matches) and the balanced positive/negative sampler.
#pragma once

#include <vector>

#include "engine/random.h"
#include "engine/tensor.h"

namespace models {

inline constexpr std::int64_t kBelowLow = -1;  // background
inline constexpr std::int64_t kBetween = -2;   // ignored

// iou [G, P] (ground truth x predictions, any device; read back to the host, where the matching
// runs) -> i64 [P] on the CPU: the best ground truth per prediction, or
// kBelowLow when its IoU < low, kBetween when low <= IoU < high. With allow_low_quality every
// ground truth also keeps the predictions of its highest IoU (ties included), as torchvision.
// No ground truth (G = 0) makes every prediction background.
engine::Tensor match(const engine::Tensor& iou,
                     std::int64_t predictions,
                     double high,
                     double low,
                     bool allow_low_quality);

struct SampledIndices {
  std::vector<std::int64_t> positive;  // indices into the labels
  std::vector<std::int64_t> negative;
};

// labels: > 0 positive, 0 negative, < 0 ignored. Draws up to batch * fraction positives and fills
// the batch with negatives, uniformly at random from the Philox generator (torchvision's
// BalancedPositiveNegativeSampler; the random stream is ours, so draws differ from PyTorch's).
// Host values (indices, labels, targets chosen by the samplers) as a tensor on `device`: shape
// [values.size()] or `shape`; the dtype follows T (i64, f32).
template <typename T>
engine::Tensor on_device(const std::vector<T>& values,
                         engine::Device device,
                         engine::Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<std::int64_t>(values.size())};
  return engine::from_vector(values, shape, {.dtype = engine::dtype_of<T>, .device = device});
}

SampledIndices sample_balanced(const std::vector<std::int64_t>& labels,
                               std::int64_t batch,
                               double positive_fraction,
                               engine::Generator& gen);

}  // namespace models
