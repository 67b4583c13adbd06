// Helpers of the CUDA backend tests: skip without a usable backend (a native build on a machine
// without a GPU), seeded random inputs that are never zero, and an element-wise comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "engine/random.h"

#define SKIP_WITHOUT_CUDA_BACKEND()                                               \
  do {                                                                            \
    if (!engine::cuda_backend::available())                                       \
      GTEST_SKIP() << "no CUDA backend: " << engine::cuda_backend::description(); \
  } while (0)

namespace cuda_test {

// The message of the exception f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// f32 values with |v| in [0.25, 2) (never zero); all positive when `positive`.
inline engine::Tensor random_f32(const engine::Shape& shape,
                                 std::uint64_t seed,
                                 bool positive = false) {
  engine::Generator gen(seed);
  const engine::Tensor magnitude = engine::add(engine::mul(engine::rand(shape, gen), 1.75), 0.25);
  if (positive) return magnitude;
  const engine::Tensor sign =
      engine::sub(engine::mul(engine::bernoulli(shape, 0.5, gen), 2.0), engine::ones(shape));
  return engine::mul(magnitude, sign);
}

// Compares a result computed on cuda with the CPU's: same shape and dtype, NaN where the CPU has
// NaN, |got - want| <= atol + rtol * |want| elsewhere (exact for integer and bool results).
inline void expect_matches(const engine::Tensor& got_cuda,
                           const engine::Tensor& want,
                           double atol,
                           double rtol,
                           const std::string& what) {
  ASSERT_TRUE(got_cuda.device().is_cuda()) << what << ": result on " << got_cuda.device().str();
  const engine::Tensor got = got_cuda.cpu();
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  const bool exact = !engine::is_floating(want.dtype());
  const auto g = got.to(engine::DType::f64).contiguous().to_vector<double>();
  const auto w = want.to(engine::DType::f64).contiguous().to_vector<double>();
  int failures = 0;
  for (std::size_t i = 0; i < g.size() && failures < 5; ++i) {
    const bool ok = std::isnan(w[i]) ? std::isnan(g[i])
                    : exact          ? g[i] == w[i]
                                     : std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i]);
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", CPU gives " << w[i];
    }
  }
}

}  // namespace cuda_test
