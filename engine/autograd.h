// Reverse-mode autograd: the graph node type, grad mode (NoGradGuard) and record(), through
// which every differentiable op attaches its backward closure to its output.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace engine::autograd {

// needs[i] says whether input i of the node wants a gradient; a backward closure may return an
// undefined Tensor for inputs that do not.
using NeedsGrad = std::vector<bool>;
using BackwardFn =
    std::function<std::vector<Tensor>(const Tensor& grad_output, const NeedsGrad& needs)>;

struct Node {
  virtual ~Node() = default;
  // Gradients with respect to each input, given the gradient of the node's output.
  virtual std::vector<Tensor> apply(const Tensor& grad_output) = 0;
  virtual std::string name() const = 0;
  std::vector<std::shared_ptr<Node>> next;  // one per input; nullptr where no gradient flows
};

// Grad mode is per thread, on by default.
bool grad_enabled();
void set_grad_enabled(bool enabled);

class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and at least one input requires grad.
bool needs_graph(const std::vector<Tensor>& inputs);

// Makes `output` the result of a differentiable op named `name` over `inputs`: when
// needs_graph(inputs), output gets a node that calls `backward`. Otherwise nothing happens.
void record(const char* name,
            Tensor& output,
            const std::vector<Tensor>& inputs,
            BackwardFn backward);

// The node that receives gradients for `tensor` (its grad_fn, or a leaf's accumulator);
// nullptr when the tensor does not require grad.
std::shared_ptr<Node> gradient_edge(const Tensor& tensor);

// Runs backward from `root` seeded with `grad_output` (ones for a single-element root).
void run_backward(const Tensor& root, const Tensor& grad_output);

}  // namespace engine::autograd
