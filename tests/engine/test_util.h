// Helpers shared by the engine tests: seeded random leaves for gradchecks and an
// element-wise closeness assertion with a per-call tolerance.
#pragma once

#include <gtest/gtest.h>

#include "engine/gradcheck.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace test_util {

// A random f64 leaf that requires grad, values in [low, high) (never all zero).
inline engine::Tensor leaf(const engine::Shape& shape,
                           std::uint64_t seed,
                           double low = -1.0,
                           double high = 1.0) {
  engine::Generator gen(seed);
  engine::Tensor t = engine::rand(shape, gen, {.dtype = engine::DType::f64});
  t = engine::add(engine::mul(t, high - low), low).detach();
  t.requires_grad_(true);
  return t;
}

// A non-contiguous leaf: the transpose of a random [cols, rows] tensor, viewed as [rows, cols].
inline engine::Tensor transposed_leaf(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  engine::Tensor base = leaf({cols, rows}, seed).detach();
  engine::Tensor t = base.t();  // shares storage, strides {1, rows}
  t.requires_grad_(true);
  return t;
}

// A tensor's elements as doubles (any dtype, any strides) / as i64 (i64 tensors).
inline std::vector<double> values(const engine::Tensor& t) {
  return t.to(engine::DType::f64).contiguous().to_vector<double>();
}
inline std::vector<std::int64_t> ints(const engine::Tensor& t) {
  return t.contiguous().to_vector<std::int64_t>();
}

inline void expect_close(const std::vector<double>& got,
                         const std::vector<double>& want,
                         double atol,
                         double rtol = 0.0) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], atol + rtol * std::abs(want[i])) << "element " << i;
}

#define EXPECT_GRADCHECK(fn, inputs)                              \
  do {                                                            \
    const auto gradcheck_result = engine::gradcheck(fn, inputs);  \
    EXPECT_TRUE(gradcheck_result.ok) << gradcheck_result.message; \
  } while (0)

}  // namespace test_util
