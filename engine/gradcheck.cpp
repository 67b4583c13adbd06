// gradcheck: analytic Jacobian by one backward pass per output element (seeded with a one-hot
// gradient), numeric Jacobian by central differences of every input element.
#include "engine/gradcheck.h"

#include <cmath>
#include <sstream>

#include "engine/autograd.h"
#include "engine/ops.h"

namespace engine {

namespace {

// Element `linear` (row-major over the tensor's shape) of a strided f64 tensor.
double& element(const Tensor& t, std::int64_t linear) {
  std::int64_t offset = 0;
  for (std::int64_t d = t.dim() - 1; d >= 0; --d) {
    offset += (linear % t.size(d)) * t.stride(d);
    linear /= t.size(d);
  }
  return t.data_ptr<double>()[offset];
}

std::vector<double> evaluate(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                             const std::vector<Tensor>& inputs) {
  autograd::NoGradGuard no_grad;
  return fn(inputs).contiguous().to_vector<double>();
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs,
                          GradcheckOptions options) {
  for (const auto& x : inputs) {
    ENGINE_CHECK(x.dtype() == DType::f64 && x.is_leaf() && x.requires_grad(),
                 "gradcheck: inputs must be f64 leaves that require grad, got ", x.str());
    for (auto s : x.strides())
      ENGINE_CHECK(s != 0 || x.numel() <= 1, "gradcheck: expanded input ", x.str());
  }
  const Tensor y = fn(inputs);
  ENGINE_CHECK(y.dtype() == DType::f64, "gradcheck: the function must return f64, got ", y.str());
  const std::int64_t outputs = y.numel();

  // analytic[i][o * n_i + e] = d y[o] / d x_i[e]
  std::vector<std::vector<double>> analytic(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    analytic[i].assign(outputs * inputs[i].numel(), 0.0);
  if (y.requires_grad()) {
    for (std::int64_t o = 0; o < outputs; ++o) {
      for (const auto& x : inputs) x.zero_grad();
      Tensor seed = zeros(y.shape(), {.dtype = DType::f64});
      element(seed, o) = 1.0;
      y.backward(seed);
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor g = inputs[i].grad();
        if (!g.defined()) continue;
        const std::vector<double> gv = g.contiguous().to_vector<double>();
        std::copy(gv.begin(), gv.end(), analytic[i].begin() + o * inputs[i].numel());
      }
    }
  }
  for (const auto& x : inputs) x.zero_grad();

  GradcheckResult result;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (std::int64_t e = 0; e < inputs[i].numel(); ++e) {
      double& value = element(inputs[i], e);
      const double saved = value;
      value = saved + options.eps;
      const std::vector<double> plus = evaluate(fn, inputs);
      value = saved - options.eps;
      const std::vector<double> minus = evaluate(fn, inputs);
      value = saved;
      for (std::int64_t o = 0; o < outputs; ++o) {
        const double numeric = (plus[o] - minus[o]) / (2 * options.eps);
        const double got = analytic[i][o * inputs[i].numel() + e];
        const double err = std::abs(got - numeric);
        result.max_abs_error = std::max(result.max_abs_error, std::isnan(err) ? INFINITY : err);
        if (result.ok && !(err <= options.atol + options.rtol * std::abs(numeric))) {
          result.ok = false;
          std::ostringstream msg;
          msg << "input " << i << " " << inputs[i].str() << " element " << e << ", output element "
              << o << ": analytic " << got << " vs numeric " << numeric;
          result.message = msg.str();
        }
      }
    }
  }
  return result;
}

}  // namespace engine
