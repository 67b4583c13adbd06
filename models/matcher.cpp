// Matcher and balanced sampler on host vectors: both are bookkeeping over a few thousand
// entries per image, clearer as loops than as tensor expressions.
#include "models/matcher.h"

#include <algorithm>

#include "engine/ops.h"

namespace models {

engine::Tensor match(const engine::Tensor& iou,
                     std::int64_t predictions,
                     double high,
                     double low,
                     bool allow_low_quality) {
  ENGINE_CHECK(low <= high, "match: low threshold ", low, " above high threshold ", high);
  std::vector<std::int64_t> matches(static_cast<std::size_t>(predictions), kBelowLow);
  if (!iou.defined() || iou.numel() == 0) return engine::from_vector(matches);
  ENGINE_CHECK(iou.dim() == 2 && iou.size(1) == predictions, "match: IoU matrix ", iou.str(),
               " does not have ", predictions, " columns");
  const std::int64_t gts = iou.size(0);
  const std::vector<float> v = iou.to(engine::DType::f32).contiguous().to_vector<float>();
  auto at = [&](std::int64_t g, std::int64_t p) {
    return v[static_cast<std::size_t>(g * predictions + p)];
  };
  std::vector<std::int64_t> best(static_cast<std::size_t>(predictions), 0);
  for (std::int64_t p = 0; p < predictions; ++p) {
    std::int64_t arg = 0;
    for (std::int64_t g = 1; g < gts; ++g)
      if (at(g, p) > at(arg, p)) arg = g;  // first maximum wins, as torch.max
    best[p] = arg;
    const float value = at(arg, p);
    matches[p] = value < low ? kBelowLow : (value < high ? kBetween : arg);
  }
  if (allow_low_quality) {
    for (std::int64_t g = 0; g < gts; ++g) {
      float highest = at(g, 0);
      for (std::int64_t p = 1; p < predictions; ++p) highest = std::max(highest, at(g, p));
      for (std::int64_t p = 0; p < predictions; ++p)
        if (at(g, p) == highest) matches[p] = best[p];
    }
  }
  return engine::from_vector(matches);
}

SampledIndices sample_balanced(const std::vector<std::int64_t>& labels,
                               std::int64_t batch,
                               double positive_fraction,
                               engine::Generator& gen) {
  std::vector<std::int64_t> positive, negative;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] > 0)
      positive.push_back(static_cast<std::int64_t>(i));
    else if (labels[i] == 0)
      negative.push_back(static_cast<std::int64_t>(i));
  }
  const auto take = [&gen](const std::vector<std::int64_t>& pool, std::int64_t count) {
    const auto order =
        engine::randperm(static_cast<std::int64_t>(pool.size()), gen).to_vector<std::int64_t>();
    std::vector<std::int64_t> out;
    for (std::int64_t i = 0; i < count; ++i)
      out.push_back(pool[static_cast<std::size_t>(order[i])]);
    return out;
  };
  const auto num_positive = std::min<std::int64_t>(
      static_cast<std::int64_t>(positive.size()),
      static_cast<std::int64_t>(static_cast<double>(batch) * positive_fraction));
  const auto num_negative =
      std::min<std::int64_t>(static_cast<std::int64_t>(negative.size()), batch - num_positive);
  return {take(positive, num_positive), take(negative, num_negative)};
}

}  // namespace models
