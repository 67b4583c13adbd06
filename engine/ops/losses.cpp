// Loss front-ends: cross entropy, focal, smooth L1 / L1 / MSE composed from differentiable ops
// (log_softmax keeps CE stable); BCE with logits through a fused kernel with explicit backward.
#include <cmath>

#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/losses.h"
#include "engine/ops.h"
#include "kernels/cpu/loss.h"

namespace engine {

using autograd::NeedsGrad;

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return loss;
    case Reduction::mean:
      return mean(loss);
    case Reduction::sum:
      return sum(loss);
  }
  ENGINE_FAIL("loss: unknown reduction");
}

void check_pair(const Tensor& x, const Tensor& y, const char* op) {
  ENGINE_CHECK(is_floating(x.dtype()), op, ": input must be f32 or f64, got ", x.str());
  check_same_dtype(x, y, op);
  check_same_device(x, y, op);
  ENGINE_CHECK(x.shape() == y.shape(), op, ": input ", x.str(), " and target ", y.str(),
               " must have the same shape");
}

// An optional constant weight broadcast to shape and made contiguous (undefined stays undefined).
Tensor expanded_weight(const Tensor& w, const Tensor& like, const char* op, const char* what) {
  if (!w.defined()) return {};
  check_same_dtype(like, w, op);
  check_same_device(like, w, op);
  ENGINE_CHECK(broadcast_shapes(w.shape(), like.shape(), op) == like.shape(), op, ": ", what, " ",
               w.str(), " does not broadcast to the input ", like.str());
  return w.detach().expand(like.shape()).contiguous();
}

}  // namespace

Tensor cross_entropy(const Tensor& logits_in,
                     const Tensor& target_in,
                     const Tensor& weight,
                     std::int64_t ignore_index,
                     Reduction reduction) {
  const char* op = "cross_entropy";
  ENGINE_CHECK(is_floating(logits_in.dtype()), op, ": logits must be f32 or f64, got ",
               logits_in.str());
  ENGINE_CHECK(target_in.dtype() == DType::i64 || target_in.dtype() == DType::i32, op,
               ": target must hold class indices (i64 or i32), got ", target_in.str());
  const bool unbatched = logits_in.dim() == 1;
  const Tensor logits = unbatched ? logits_in.unsqueeze(0) : logits_in;  // [N, C, ...]
  const Tensor target = (unbatched ? target_in.unsqueeze(0) : target_in).to(DType::i64);
  ENGINE_CHECK(logits.dim() >= 2, op, ": logits must be [N, C, ...] or [C], got ", logits_in.str());
  Shape expected = logits.shape();
  expected.erase(expected.begin() + 1);
  ENGINE_CHECK(target.shape() == expected, op, ": target ", target_in.str(),
               " does not match logits ", logits_in.str(), " (expected target shape ",
               shape_str(unbatched ? Shape{} : expected), ")");
  const std::int64_t classes = logits.size(1);
  {
    const Tensor t = target.cpu().contiguous();  // validated on the host
    const std::int64_t* p = t.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < t.numel(); ++i)
      ENGINE_CHECK(p[i] == ignore_index || (p[i] >= 0 && p[i] < classes), op, ": target ", p[i],
                   " at flat element ", i, " is not a class in [0, ", classes,
                   ") nor ignore_index ", ignore_index);
  }
  if (weight.defined()) {
    ENGINE_CHECK(weight.dim() == 1 && weight.size(0) == classes, op, ": weight ", weight.str(),
                 " must be [", classes, "] for logits ", logits_in.str());
    check_same_dtype(logits, weight, op);
    check_same_device(logits, weight, op);
  }
  const Tensor valid = ne(target, static_cast<double>(ignore_index));
  const Tensor safe = where(valid, target, 0.0);
  const Tensor picked =
      gather(log_softmax(logits, 1), 1, safe.unsqueeze(1)).squeeze(1);  // log p[target]
  Tensor w = weight.defined()
                 ? index_select(weight.detach(), 0, safe.reshape({-1})).reshape(safe.shape())
                 : ones(safe.shape(), {.dtype = logits.dtype(), .device = logits.device()});
  w = where(valid, w, 0.0);
  Tensor loss = neg(mul(picked, w));
  if (unbatched) loss = loss.squeeze(0);
  if (reduction == Reduction::mean) return div(sum(loss), sum(w));
  return reduce(loss, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& x_in,
                                        const Tensor& t_in,
                                        const Tensor& weight,
                                        const Tensor& pos_weight,
                                        Reduction reduction) {
  const char* op = "binary_cross_entropy_with_logits";
  check_pair(x_in, t_in, op);
  const Tensor x = x_in.contiguous(), t = t_in.contiguous();
  const Tensor w = expanded_weight(weight, x, op, "weight"),
               pw = expanded_weight(pos_weight, x, op, "pos_weight");
  Tensor loss = empty_like(x);
  DEVICE_KERNEL(x, bce_with_logits(x, t, w, pw, loss));
  autograd::record(
      op, loss, {x, t},
      [x = x.detach(), t = t.detach(), w, pw](const Tensor& g, const NeedsGrad& needs) {
        Tensor gx = needs[0] ? empty_like(x) : Tensor(), gt = needs[1] ? empty_like(t) : Tensor();
        DEVICE_KERNEL(x, bce_with_logits_backward(g.contiguous(), x, t, w, pw, gx, gt));
        return std::vector<Tensor>{gx, gt};
      });
  return reduce(loss, reduction);
}

Tensor sigmoid_focal_loss(
    const Tensor& x, const Tensor& t, double alpha, double gamma, Reduction reduction) {
  check_pair(x, t, "sigmoid_focal_loss");
  ENGINE_CHECK(gamma >= 0, "sigmoid_focal_loss: gamma must not be negative, got ", gamma);
  const Tensor p = sigmoid(x);
  Tensor loss = binary_cross_entropy_with_logits(x, t, {}, {}, Reduction::none);
  const Tensor p_t = add(mul(p, t), mul(1.0 - p, 1.0 - t));
  if (gamma != 0) loss = mul(loss, pow(1.0 - p_t, gamma));
  if (alpha >= 0) loss = mul(add(mul(t, alpha), mul(1.0 - t, 1.0 - alpha)), loss);
  return reduce(loss, reduction);
}

Tensor smooth_l1_loss(const Tensor& x, const Tensor& y, double beta, Reduction reduction) {
  check_pair(x, y, "smooth_l1_loss");
  ENGINE_CHECK(beta >= 0, "smooth_l1_loss: beta must not be negative, got ", beta);
  const Tensor z = abs(sub(x, y));
  if (beta == 0) return reduce(z, reduction);
  const Tensor quadratic =
      div(mul(mul(z, 0.5), z), scalar_tensor(beta, {.dtype = z.dtype(), .device = z.device()}));
  return reduce(where(lt(z, beta), quadratic, z - 0.5 * beta), reduction);
}

Tensor l1_loss(const Tensor& x, const Tensor& y, Reduction reduction) {
  check_pair(x, y, "l1_loss");
  return reduce(abs(sub(x, y)), reduction);
}

Tensor mse_loss(const Tensor& x, const Tensor& y, Reduction reduction) {
  check_pair(x, y, "mse_loss");
  return reduce(square(sub(x, y)), reduction);
}

}  // namespace engine
