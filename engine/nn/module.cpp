// Module bookkeeping: registration with name checks, recursive collection of dotted names,
// train/eval propagation and state-dict loading with a complete report of what did not match.
#include "engine/nn/module.h"

#include <sstream>
#include <unordered_map>

#include "engine/autograd.h"

namespace engine::nn {

std::string LoadReport::message() const {
  std::ostringstream out;
  out << "state dict does not match the module:";
  for (const auto& k : missing) out << "\n  missing key: " << k;
  for (const auto& k : unexpected) out << "\n  unexpected key: " << k;
  for (const auto& k : mismatched) out << "\n  shape mismatch: " << k;
  return out.str();
}

Tensor Module::forward(const Tensor&) {
  ENGINE_FAIL("this module has no single-input forward(); call its own forward signature");
}

void Module::check_new_name(const std::string& name) const {
  ENGINE_CHECK(!name.empty() && name.find('.') == std::string::npos, "module: bad name '", name,
               "' (must be non-empty and contain no '.')");
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  ENGINE_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), "module: name '", name,
               "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name);
  tensor = tensor.detach();
  if (requires_grad) tensor.requires_grad_(true);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name);
  buffers_.emplace_back(name, tensor.detach());
  return buffers_.back().second;
}

void Module::collect(const std::string& prefix,
                     bool parameters,
                     bool buffers,
                     NamedTensors& out) const {
  if (parameters)
    for (const auto& [name, t] : parameters_) out.emplace_back(prefix + name, t);
  if (buffers)
    for (const auto& [name, t] : buffers_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_)
    child->collect(prefix + name + ".", parameters, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters()) out.push_back(t);
  return out;
}

void Module::to(Device device) {
  autograd::NoGradGuard no_grad;
  for (const auto& [name, t] : state_dict()) {
    if (t.device() == device) continue;
    // The copy's storage, shape and strides replace the tensor's own (leaf or buffer: no grad_fn).
    const Tensor moved = t.detach().to(device);
    TensorImpl& impl = t.impl();
    impl.storage = moved.impl().storage;
    impl.strides = moved.impl().strides;
    impl.offset = moved.impl().offset;
    if (impl.grad) t.set_grad(t.grad().to(device));
  }
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", true, true, out);
  return out;
}

LoadReport Module::load_state_dict(const NamedTensors& source, bool strict) {
  std::unordered_map<std::string, const Tensor*> by_name;
  LoadReport report;
  for (const auto& [name, t] : source) by_name[name] = &t;
  const NamedTensors own = state_dict();
  std::vector<std::pair<Tensor, const Tensor*>> to_copy;
  for (const auto& [name, t] : own) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      report.missing.push_back(name);
      continue;
    }
    if (it->second->shape() != t.shape())
      report.mismatched.push_back(name + ": module " + shape_str(t.shape()) + " vs source " +
                                  shape_str(it->second->shape()));
    else
      to_copy.emplace_back(t, it->second);
    by_name.erase(it);
  }
  for (const auto& [name, _] : source)
    if (by_name.count(name)) report.unexpected.push_back(name);
  if (strict && !report.ok()) ENGINE_FAIL(report.message());
  autograd::NoGradGuard no_grad;
  for (auto& [dst, src] : to_copy) dst.copy_(*src);
  return report;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, child] : children_) child->train(on);
}

void Module::requires_grad_(bool requires_grad) {
  for (auto& t : parameters()) t.requires_grad_(requires_grad);
}

void Module::zero_grad() {
  for (auto& t : parameters()) t.zero_grad();
}

}  // namespace engine::nn
