// The machinery of the CUDA-vs-CPU op table: a case is an op, its input shapes (odd sizes, empty,
// broadcast, non-contiguous), a tolerance; run_case compares cuda with the CPU, forward + backward.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/ops.h"
#include "tests/cuda/cuda_test_util.h"

namespace op_table {

using namespace engine;

enum class Values { any, positive, small_ints, bools };

struct Input {
  Shape shape;
  bool transposed = false;  // a transposed view of a [.., cols, rows] tensor (non-contiguous)
  Values values = Values::any;
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct Case {
  std::string name;
  OpFn op;
  std::vector<std::vector<Input>> shapes;  // one entry per shape set
  double atol, rtol;
  bool backward;
};

inline Tensor make_base(const Input& in, std::uint64_t seed) {
  Shape shape = in.shape;
  if (in.transposed) std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  switch (in.values) {
    case Values::small_ints: {  // in {-3..-1, 1..3}
      Generator gen(seed);
      const Tensor k = randint(1, 4, shape, gen, {.dtype = DType::i64});
      const Tensor sign = add(mul(bernoulli(shape, 0.5, gen), 2.0), -1.0).to(DType::i64);
      return mul(k, sign);
    }
    case Values::bools: {
      Generator gen(seed);
      return bernoulli(shape, 0.5, gen).to(DType::b8);
    }
    default:
      return cuda_test::random_f32(shape, seed, in.values == Values::positive);
  }
}

inline Tensor view_of(const Tensor& base, const Input& in) {
  return in.transposed ? base.transpose(-1, -2) : base;
}

// Fills freed device blocks of the output's size with garbage (NaN for f32), so that elements a
// kernel fails to write cannot pass: the caching allocator hands these blocks out next.
inline void poison_device_blocks(const Tensor& like) {
  std::vector<Tensor> blocks;
  for (int i = 0; i < 4; ++i) {
    if (like.dtype() == DType::f32)
      blocks.push_back(full(like.shape(), NAN, {.device = Device::cuda()}));
    else
      blocks.push_back(full({like.numel() * static_cast<std::int64_t>(dtype_size(like.dtype()))},
                            0xA5, {.dtype = DType::u8, .device = Device::cuda()}));
  }
}

inline void run_case(const Case& c, const std::vector<Input>& inputs, std::uint64_t seed) {
  std::ostringstream description;
  description << c.name << " on";
  for (const auto& in : inputs)
    description << ' ' << shape_str(in.shape) << (in.transposed ? "T" : "");
  const std::string what = description.str();
  SCOPED_TRACE(what);
  std::vector<Tensor> cpu_bases, cuda_bases, cpu_views, cuda_views;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor base = make_base(inputs[i], seed + 17 * i);
    Tensor on_cuda = base.cuda();
    const bool grad = c.backward && is_floating(base.dtype());
    if (grad) {
      base.requires_grad_(true);
      on_cuda.requires_grad_(true);
    }
    cpu_views.push_back(view_of(base, inputs[i]));
    cuda_views.push_back(view_of(on_cuda, inputs[i]));
    cpu_bases.push_back(base);
    cuda_bases.push_back(on_cuda);
  }
  const Tensor want = c.op(cpu_views);
  poison_device_blocks(want);
  const Tensor got = c.op(cuda_views);
  cuda_test::expect_matches(got, want, c.atol, c.rtol, what + " (forward)");
  if (!c.backward || !want.requires_grad()) return;
  const Tensor weights = cuda_test::random_f32(want.shape(), seed + 99);
  sum(mul(want, weights)).backward();
  sum(mul(got, weights.cuda())).backward();
  // Gradients of broadcast operands are sums over the broadcast dims (f32 tree sums on the device,
  // f64 accumulation on the CPU), so they get at least the reductions' tolerance.
  const double grad_atol = std::max(c.atol, 1e-5), grad_rtol = std::max(c.rtol, 1e-4);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!cpu_bases[i].grad().defined()) {  // e.g. only used through a comparison
      EXPECT_FALSE(cuda_bases[i].grad().defined()) << what << ": gradient for input " << i;
      continue;
    }
    ASSERT_TRUE(cuda_bases[i].grad().defined()) << what << ": no gradient for input " << i;
    cuda_test::expect_matches(cuda_bases[i].grad(), cpu_bases[i].grad(), grad_atol, grad_rtol,
                              what + " (gradient of input " + std::to_string(i) + ")");
  }
}

inline void run_table(const std::vector<Case>& table) {
  std::uint64_t seed = 1000;
  for (const Case& c : table)
    for (const auto& inputs : c.shapes) run_case(c, inputs, seed += 101);
}

}  // namespace op_table
