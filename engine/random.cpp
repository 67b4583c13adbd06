// Random tensor creation: each function reserves its Philox blocks from the generator and
// fills the tensor through the device's stream kernel (f32 cuda tensors draw on the device).
#include "engine/random.h"

#include <algorithm>
#include <numeric>

#include "engine/cuda_backend.h"
#include "engine/device_kernel.h"
#include "engine/ops.h"
#include "kernels/cpu/random.h"

namespace engine {

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(std::uint64_t seed) {
  default_generator().manual_seed(seed);
}

namespace {
// Fills a fresh contiguous tensor of the requested dtype; the stream itself runs in f32/f64.
Tensor make_random(const Shape& shape, TensorOptions options, const char* op) {
  ENGINE_CHECK(
      is_floating(options.dtype) && options.dtype != DType::f16 && options.dtype != DType::bf16, op,
      ": dtype must be f32 or f64, got ", dtype_name(options.dtype));
  options.requires_grad = false;
  return empty(shape, options);
}
Tensor finish(Tensor t, bool requires_grad) {
  if (requires_grad) t.requires_grad_(true);
  return t;
}
// Where a draw into t runs: t itself when contiguous on the CPU or an f32 cuda tensor (the
// device kernels are f32), else a contiguous scratch tensor on the CPU copied into t after.
Tensor draw_target(const Tensor& t) {
  const bool device_draw = t.device().is_cuda() && t.dtype() == DType::f32;
  if (device_draw) return t.is_contiguous() ? t : empty(t.shape(), {.device = t.device()});
  return t.is_contiguous() && t.device().is_cpu() ? t : empty(t.shape(), {.dtype = t.dtype()});
}
}  // namespace

Tensor& uniform_(Tensor& t, double low, double high, Generator& gen) {
  ENGINE_CHECK(low <= high, "uniform_: low ", low, " is greater than high ", high);
  Tensor tmp = draw_target(t);
  const std::uint64_t offset = gen.reserve(kernels::cpu::uniform_blocks(t.numel(), t.dtype()));
  DEVICE_KERNEL(tmp, uniform(gen.seed(), offset, low, high, tmp));
  if (!tmp.is_same(t)) t.copy_(tmp);
  return t;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator& gen) {
  ENGINE_CHECK(std >= 0, "normal_: std must be non-negative, got ", std);
  Tensor tmp = draw_target(t);
  const std::uint64_t offset = gen.reserve(kernels::cpu::pair_blocks(t.numel()));
  DEVICE_KERNEL(tmp, normal(gen.seed(), offset, mean, std, tmp));
  if (!tmp.is_same(t)) t.copy_(tmp);
  return t;
}

Tensor rand(const Shape& shape, Generator& gen, TensorOptions options) {
  Tensor t = make_random(shape, options, "rand");
  return finish(uniform_(t, 0.0, 1.0, gen), options.requires_grad);
}

Tensor randn(const Shape& shape, Generator& gen, TensorOptions options) {
  Tensor t = make_random(shape, options, "randn");
  return finish(normal_(t, 0.0, 1.0, gen), options.requires_grad);
}

Tensor rand(const Shape& shape, TensorOptions options) {
  return rand(shape, default_generator(), options);
}
Tensor randn(const Shape& shape, TensorOptions options) {
  return randn(shape, default_generator(), options);
}

Tensor randint(std::int64_t low,
               std::int64_t high,
               const Shape& shape,
               Generator& gen,
               TensorOptions options) {
  ENGINE_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  Tensor t = empty(shape, {.dtype = options.dtype, .device = options.device});
  const std::uint64_t offset = gen.reserve(kernels::cpu::pair_blocks(t.numel()));
  DEVICE_KERNEL(t, randint(gen.seed(), offset, low, high, t));
  return t;
}

Tensor randperm(std::int64_t n, Generator& gen) {
  ENGINE_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  // A permutation = the stable argsort of random 64-bit keys (the same on every device).
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
  kernels::cpu::random_u64(gen.seed(), gen.reserve(kernels::cpu::pair_blocks(n)), keys.data(), n);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return keys[a] < keys[b]; });
  return from_vector(order);
}

Tensor bernoulli(const Tensor& p, Generator& gen) {
  ENGINE_CHECK(is_floating(p.dtype()), "bernoulli: probabilities must be floating, got ", p.str());
  Tensor u = empty(p.shape(), {.dtype = DType::f32, .device = p.device()});
  uniform_(u, 0.0, 1.0, gen);
  return lt(u, p.to(DType::f32).detach()).to(p.dtype());
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, TensorOptions options) {
  ENGINE_CHECK(p >= 0.0 && p <= 1.0, "bernoulli: p must lie in [0, 1], got ", p);
  return bernoulli(full(shape, p, {.dtype = options.dtype, .device = options.device}), gen);
}

}  // namespace engine
