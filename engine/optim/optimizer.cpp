// SGD and AdamW steps (through the fused kernels), their saved state, zero_grad and global
// gradient-norm clipping.
#include "engine/optim/optimizer.h"

#include <cmath>
#include <unordered_map>

#include "engine/autograd.h"
#include "engine/device_kernel.h"
#include "engine/ops.h"
#include "kernels/cpu/optim.h"

namespace engine::optim {

namespace {

std::vector<ParamGroup> single_group(std::vector<Tensor> params, double lr, double weight_decay) {
  return {ParamGroup{std::move(params), lr, weight_decay, lr}};
}

void check_grad(const Tensor& p, const Tensor& g, const char* op) {
  ENGINE_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype(), op, ": gradient ", g.str(),
               " does not match parameter ", p.str());
}

// Looks up "<group>.<index>.<name>" in a saved state; undefined when absent.
Tensor find_state(const std::unordered_map<std::string, Tensor>& saved,
                  std::size_t g,
                  std::size_t i,
                  const char* name) {
  auto it = saved.find(std::to_string(g) + "." + std::to_string(i) + "." + name);
  return it == saved.end() ? Tensor() : it->second;
}

std::unordered_map<std::string, Tensor> index_state(const nn::NamedTensors& state) {
  std::unordered_map<std::string, Tensor> out;
  for (const auto& [k, v] : state) out[k] = v;
  return out;
}

Tensor copy_of(const Tensor& saved, const Tensor& like, const std::string& what) {
  ENGINE_CHECK(saved.shape() == like.shape(), "optimizer state ", what, ": saved ", saved.str(),
               " does not match ", like.str());
  return saved.to(like.device())
      .to(like.dtype())
      .contiguous()
      .clone();  // on the parameter's device
}

}  // namespace

Optimizer::Optimizer(std::vector<ParamGroup> groups) : groups_(std::move(groups)) {
  for (auto& group : groups_) {
    ENGINE_CHECK(group.lr >= 0 && group.weight_decay >= 0,
                 "optimizer: lr and weight_decay must be non-negative");
    group.initial_lr = group.lr;
    for (const auto& p : group.params)
      ENGINE_CHECK(p.is_leaf() && p.requires_grad() && p.is_contiguous(),
                   "optimizer: parameters must be contiguous leaves that require grad, got ",
                   p.str());
  }
}

void Optimizer::for_each_gradient(const char* name, const UpdateFn& update) const {
  autograd::NoGradGuard no_grad;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;  // a parameter that took no part in the loss
      check_grad(p, grad, name);
      check_same_device(p, grad, name);
      update(g, i, group, p, grad.contiguous());
    }
  }
}

void Optimizer::zero_grad() {
  for (auto& group : groups_)
    for (auto& p : group.params) p.zero_grad();
}

// ---- SGD

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(single_group(std::move(params), options.lr, options.weight_decay), options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer(std::move(groups)), options_(options) {
  ENGINE_CHECK(options.momentum >= 0, "SGD: momentum must be non-negative, got ", options.momentum);
  ENGINE_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
               "SGD: nesterov needs momentum > 0 and dampening 0");
  for (const auto& group : groups_) momentum_.emplace_back(group.params.size());
}

void SGD::step() {
  for_each_gradient("SGD", [&](std::size_t g, std::size_t i, const ParamGroup& group,
                               const Tensor& p, const Tensor& grad) {
    Tensor& buffer = momentum_[g][i];
    const bool first = options_.momentum != 0 && !buffer.defined();
    if (first) buffer = empty_like(p);
    const kernels::cpu::SgdHyper hyper{group.lr,           options_.momentum, options_.dampening,
                                       group.weight_decay, options_.nesterov, first};
    DEVICE_KERNEL(p, sgd_update(p, grad, buffer, hyper));
  });
}

nn::NamedTensors SGD::state() const {
  nn::NamedTensors out;
  for (std::size_t g = 0; g < momentum_.size(); ++g)
    for (std::size_t i = 0; i < momentum_[g].size(); ++i)
      if (momentum_[g][i].defined())
        out.emplace_back(std::to_string(g) + "." + std::to_string(i) + ".momentum_buffer",
                         momentum_[g][i]);
  return out;
}

void SGD::load_state(const nn::NamedTensors& state) {
  const auto saved = index_state(state);
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
      const Tensor t = find_state(saved, g, i, "momentum_buffer");
      momentum_[g][i] =
          t.defined() ? copy_of(t, groups_[g].params[i], "momentum_buffer") : Tensor();
    }
}

// ---- AdamW

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW(single_group(std::move(params), options.lr, options.weight_decay), options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Optimizer(std::move(groups)), options_(options) {
  ENGINE_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1 &&
                   options.eps >= 0,
               "AdamW: betas must lie in [0, 1) and eps must be non-negative");
  for (const auto& group : groups_) {
    exp_avg_.emplace_back(group.params.size());
    exp_avg_sq_.emplace_back(group.params.size());
  }
}

void AdamW::step() {
  ++step_;
  for_each_gradient("AdamW", [&](std::size_t g, std::size_t i, const ParamGroup& group,
                                 const Tensor& p, const Tensor& grad) {
    if (!exp_avg_[g][i].defined()) {
      exp_avg_[g][i] = zeros_like(p);
      exp_avg_sq_[g][i] = zeros_like(p);
    }
    const kernels::cpu::AdamWHyper hyper{group.lr,     options_.beta1,     options_.beta2,
                                         options_.eps, group.weight_decay, step_};
    DEVICE_KERNEL(p, adamw_update(p, grad, exp_avg_[g][i], exp_avg_sq_[g][i], hyper));
  });
}

nn::NamedTensors AdamW::state() const {
  nn::NamedTensors out;
  out.emplace_back("step", scalar_tensor(static_cast<double>(step_), {.dtype = DType::i64}));
  for (std::size_t g = 0; g < exp_avg_.size(); ++g)
    for (std::size_t i = 0; i < exp_avg_[g].size(); ++i)
      if (exp_avg_[g][i].defined()) {
        const std::string prefix = std::to_string(g) + "." + std::to_string(i) + ".";
        out.emplace_back(prefix + "exp_avg", exp_avg_[g][i]);
        out.emplace_back(prefix + "exp_avg_sq", exp_avg_sq_[g][i]);
      }
  return out;
}

void AdamW::load_state(const nn::NamedTensors& state) {
  const auto saved = index_state(state);
  auto it = saved.find("step");
  ENGINE_CHECK(it != saved.end(), "AdamW state: missing 'step'");
  step_ = static_cast<std::int64_t>(it->second.item());
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
      const Tensor m = find_state(saved, g, i, "exp_avg"),
                   v = find_state(saved, g, i, "exp_avg_sq");
      ENGINE_CHECK(m.defined() == v.defined(),
                   "AdamW state: exp_avg and exp_avg_sq must come together");
      exp_avg_[g][i] = m.defined() ? copy_of(m, groups_[g].params[i], "exp_avg") : Tensor();
      exp_avg_sq_[g][i] = v.defined() ? copy_of(v, groups_[g].params[i], "exp_avg_sq") : Tensor();
    }
}

// ---- clipping

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  autograd::NoGradGuard no_grad;
  double total = 0;
  Tensor device_total;  // the cuda gradients' sum of squares, read back once at the end
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    if (p.grad().device().is_cuda()) {
      const Tensor part = sum(square(p.grad()));
      device_total = device_total.defined() ? add(device_total, part) : part;
    } else {
      total += kernels::cpu::sum_of_squares(p.grad().contiguous());
    }
  }
  if (device_total.defined()) total += device_total.item();
  const double norm = std::sqrt(total);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const auto& p : params)
      if (p.grad().defined()) p.set_grad(mul(p.grad(), coef));
  }
  return norm;
}

}  // namespace engine::optim
