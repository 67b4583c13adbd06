// nn::Module: the base of every layer and model. Parameters, buffers and submodules are
// registered by name, so named_parameters()/state_dict() give PyTorch's dotted names.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace engine::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What load_state_dict found: keys the module has but the source lacks, keys the source has
// but the module lacks, and keys present in both with different shapes.
struct LoadReport {
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  std::vector<std::string> mismatched;  // "name: module [a, b] vs source [c, d]"
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string message() const;  // multi-line, lists every problem
};

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Single-input modules override forward; others define their own call signatures.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  NamedTensors named_parameters() const;  // recursive, PyTorch order and names
  std::vector<Tensor> parameters() const;
  NamedTensors named_buffers() const;
  NamedTensors state_dict() const;  // parameters and buffers, as PyTorch's state_dict
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const {
    return children_;
  }

  // Copies every matching tensor into this module (converting dtype). strict: any missing,
  // unexpected or mismatched key throws with the full report; otherwise the report is returned
  // and only the matching keys are loaded.
  LoadReport load_state_dict(const NamedTensors& source, bool strict = true);

  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  // Freezes (false) or unfreezes (true) every parameter of this module and its children.
  void requires_grad_(bool requires_grad);
  // Moves every parameter, buffer and gradient to `device` in place (as PyTorch's module.to):
  // the handles the layers hold see the new storage, so no pointer into the module goes stale.
  // Optimizers built before the move keep state on the old device: build them after it.
  void to(Device device);

 protected:
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    check_new_name(name);
    children_.emplace_back(name, module);
    return module;
  }

 private:
  void check_new_name(const std::string& name) const;
  void collect(const std::string& prefix, bool parameters, bool buffers, NamedTensors& out) const;

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace engine::nn
