// Optimizers with PyTorch's semantics: parameter groups (own lr and weight decay), SGD with
// momentum/dampening/nesterov, AdamW, and state that can be saved and restored for exact resume.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/nn/module.h"

namespace engine::optim {

struct ParamGroup {
  std::vector<Tensor> params;
  double lr = 0.0;
  double weight_decay = 0.0;
  double initial_lr = 0.0;  // set at construction; schedules scale it
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual void step() = 0;  // uses .grad of every parameter that has one
  void zero_grad();         // drops every .grad (PyTorch's set_to_none)
  std::vector<ParamGroup>& param_groups() { return groups_; }
  // Per-parameter state as named tensors ("<group>.<index>.<name>") plus "step", for checkpoints.
  virtual nn::NamedTensors state() const = 0;
  virtual void load_state(const nn::NamedTensors& state) = 0;

 protected:
  explicit Optimizer(std::vector<ParamGroup> groups);
  // Calls update(group index, param index, group, param, contiguous grad) for every parameter
  // that has a gradient, under NoGradGuard; checks each gradient against its parameter.
  using UpdateFn = std::function<void(
      std::size_t, std::size_t, const ParamGroup&, const Tensor&, const Tensor&)>;
  void for_each_gradient(const char* name, const UpdateFn& update) const;
  std::vector<ParamGroup> groups_;
};

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  SGD(std::vector<ParamGroup> groups,
      SGDOptions options);  // group lr/weight_decay override options
  void step() override;
  nn::NamedTensors state() const override;
  void load_state(const nn::NamedTensors& state) override;

 private:
  SGDOptions options_;
  std::vector<std::vector<Tensor>> momentum_;  // [group][param], undefined until first used
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options);
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options);
  void step() override;
  nn::NamedTensors state() const override;
  void load_state(const nn::NamedTensors& state) override;

 private:
  AdamWOptions options_;
  std::int64_t step_ = 0;
  std::vector<std::vector<Tensor>> exp_avg_, exp_avg_sq_;
};

// Scales all gradients so that their global L2 norm is at most max_norm (no-op when below);
// returns the norm before clipping, as torch.nn.utils.clip_grad_norm_ (NaN/inf pass through).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

}  // namespace engine::optim
