// The backward engine: nodes in topological order (Kahn's algorithm over the graph reachable
// from the root), gradients summed per node, leaf gradients accumulated into .grad.
#include "engine/autograd.h"

#include <unordered_map>

#include "engine/ops.h"

namespace engine::autograd {

namespace {

thread_local bool g_grad_enabled = true;

class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, BackwardFn backward, NeedsGrad needs)
      : name_(name), backward_(std::move(backward)), needs_(std::move(needs)) {}
  std::vector<Tensor> apply(const Tensor& grad_output) override {
    return backward_(grad_output, needs_);
  }
  std::string name() const override { return name_; }

 private:
  const char* name_;
  BackwardFn backward_;
  NeedsGrad needs_;
};

// Sink of a leaf: adds incoming gradients into the leaf's .grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf) : leaf_(leaf) {}
  std::vector<Tensor> apply(const Tensor& grad) override {
    auto leaf = leaf_.lock();
    if (!leaf) return {};  // the leaf died before backward reached it
    ENGINE_CHECK(grad.shape() == leaf->shape, "autograd: gradient of shape ",
                 shape_str(grad.shape()), " for a leaf of shape ", shape_str(leaf->shape),
                 " (a backward formula is wrong)");
    if (leaf->grad == nullptr) {
      // Keep the incoming tensor only when nobody else can see it; otherwise take a copy so
      // that later in-place changes of .grad (clipping) cannot reach another tensor.
      const bool owned = grad.impl_ptr().use_count() <= 2 && grad.impl().storage.use_count() == 1 &&
                         grad.is_contiguous();
      leaf->grad = owned ? grad.detach().impl_ptr() : grad.detach().clone().impl_ptr();
    } else {
      leaf->grad = add(Tensor(leaf->grad), grad).impl_ptr();
    }
    return {};
  }
  std::string name() const override { return "AccumulateGrad"; }

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

}  // namespace

bool grad_enabled() {
  return g_grad_enabled;
}
void set_grad_enabled(bool enabled) {
  g_grad_enabled = enabled;
}

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::shared_ptr<Node> gradient_edge(const Tensor& tensor) {
  if (!tensor.defined()) return nullptr;
  TensorImpl& impl = tensor.impl();
  if (impl.grad_fn) return impl.grad_fn;
  if (!impl.requires_grad) return nullptr;
  if (!impl.grad_accumulator)
    impl.grad_accumulator = std::make_shared<AccumulateGrad>(tensor.impl_ptr());
  return impl.grad_accumulator;
}

void record(const char* name,
            Tensor& output,
            const std::vector<Tensor>& inputs,
            BackwardFn backward) {
  if (!needs_graph(inputs)) return;
  NeedsGrad needs(inputs.size());
  std::vector<std::shared_ptr<Node>> next(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    next[i] = inputs[i].defined() && inputs[i].requires_grad() ? gradient_edge(inputs[i]) : nullptr;
    needs[i] = next[i] != nullptr;
  }
  auto node = std::make_shared<FunctionNode>(name, std::move(backward), std::move(needs));
  node->next = std::move(next);
  output.impl().grad_fn = std::move(node);
}

void run_backward(const Tensor& root, const Tensor& grad_output) {
  ENGINE_CHECK(root.requires_grad(), "backward(): the tensor ", root.str(),
               " does not require grad and has no grad_fn");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    ENGINE_CHECK(root.numel() == 1,
                 "backward(): grad_output can be left out only for a "
                 "single-element tensor, but the root is ",
                 root.str(), "; pass a gradient");
    seed = ones_like(root);
  }
  ENGINE_CHECK(seed.shape() == root.shape(), "backward(): grad_output ", seed.str(),
               " does not match the root ", root.str());
  NoGradGuard no_grad;  // backward formulas build no graph of their own

  // Count, for every reachable node, how many edges point at it.
  std::shared_ptr<Node> start = gradient_edge(root);
  std::unordered_map<Node*, int> pending;
  std::vector<Node*> stack{start.get()};
  pending[start.get()] = 0;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const auto& next : node->next) {
      if (!next) continue;
      if (pending[next.get()]++ == 0) stack.push_back(next.get());
    }
  }

  // Process nodes whose consumers have all delivered their gradient.
  std::unordered_map<Node*, Tensor> grads;
  grads[start.get()] = seed;
  std::vector<Node*> ready{start.get()};
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    // A node none of whose consumers produced a gradient still releases its inputs.
    std::vector<Tensor> input_grads;
    if (auto it = grads.find(node); it != grads.end()) {
      Tensor grad = std::move(it->second);
      grads.erase(it);
      input_grads = node->apply(grad);
    }
    for (std::size_t i = 0; i < node->next.size(); ++i) {
      Node* next = node->next[i].get();
      if (!next) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        auto it = grads.find(next);
        if (it == grads.end())
          grads.emplace(next, std::move(input_grads[i]));
        else
          it->second = add(it->second, input_grads[i]);
      }
      if (--pending[next] == 0) ready.push_back(next);
    }
  }
}

}  // namespace engine::autograd
