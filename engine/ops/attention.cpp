// Attention, dropout and the timestep embedding, composed from engine ops (their gradients come
// from the ops'); a fused attention kernel arrives with the performance work.
#include <cmath>

#include "engine/functional.h"
#include "engine/ops.h"

namespace engine {

Tensor scaled_dot_product_attention(const Tensor& q,
                                    const Tensor& k,
                                    const Tensor& v,
                                    const Tensor& mask,
                                    std::optional<double> scale) {
  ENGINE_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2,
               "scaled_dot_product_attention: q, k, v need at least 2 dims, got ", q.str(), ", ",
               k.str(), ", ", v.str());
  ENGINE_CHECK(q.size(-1) == k.size(-1), "scaled_dot_product_attention: q ", q.str(), " and k ",
               k.str(), " differ in the embedding dim");
  ENGINE_CHECK(k.size(-2) == v.size(-2), "scaled_dot_product_attention: k ", k.str(), " and v ",
               v.str(), " differ in sequence length");
  const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  Tensor scores = mul(matmul(q, k.transpose(-2, -1)), s);  // [..., L, S]
  if (mask.defined()) {
    if (mask.dtype() == DType::b8)
      scores = where(mask, scores, -INFINITY);
    else
      scores = add(scores, mask);
  }
  return matmul(softmax(scores, -1), v);  // [..., L, Ev]
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  ENGINE_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must lie in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, 0.0);
  const Tensor keep =
      bernoulli(x.shape(), 1.0 - p, gen, {.dtype = x.dtype(), .device = x.device()});
  return mul(x, mul(keep, 1.0 / (1.0 - p)));
}

Tensor timestep_embedding(const Tensor& t, std::int64_t dim, double max_period) {
  ENGINE_CHECK(t.dim() == 1, "timestep_embedding: timesteps must be [N], got ", t.str());
  ENGINE_CHECK(dim > 0, "timestep_embedding: dim must be positive, got ", dim);
  const std::int64_t half = dim / 2;
  const DType dtype = is_floating(t.dtype()) ? t.dtype() : DType::f32;
  const Tensor steps =
      arange(0.0, static_cast<double>(half), 1.0, {.dtype = dtype, .device = t.device()});
  const Tensor freqs =
      exp(mul(steps, -std::log(max_period) / static_cast<double>(std::max<std::int64_t>(half, 1))));
  const Tensor args = mul(t.to(dtype).unsqueeze(1), freqs.unsqueeze(0));  // [N, half]
  Tensor emb = cat({cos(args), sin(args)}, 1);                            // [N, 2 * half]
  if (dim % 2 == 1) emb = pad(emb, {0, 1});
  return emb;
}

}  // namespace engine
