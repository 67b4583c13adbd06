// Finite-difference gradient check: compares the autograd Jacobian of a function with
// central differences in f64, element by element. Every differentiable op's test uses it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace engine {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  std::string message;  // the first mismatch: input, element, output element, both values
};

// fn maps the inputs (f64 leaves that require grad; any strides, not expanded) to one f64
// tensor. Each input element is perturbed in place by +-eps.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs,
                          GradcheckOptions options = {});

}  // namespace engine
