// Forward results of the CPU ops against independent references: hand-computed values and
// naive loops written in the test (matmul, reductions, softmax, indexing, joining).
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

using namespace engine;
using test_util::expect_close;
using test_util::values;

namespace {

TEST(Ops, UnaryValues) {
  const Tensor x = from_vector<double>({-2.0, -0.5, 0.0, 0.5, 3.0});
  std::vector<double> want_gelu, want_silu;
  for (double v : values(x)) {
    want_gelu.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    want_silu.push_back(v / (1 + std::exp(-v)));
  }
  expect_close(values(gelu(x)), want_gelu, 1e-15);
  expect_close(values(silu(x)), want_silu, 1e-15);
  expect_close(values(relu(x)), {0, 0, 0, 0.5, 3}, 0);
  expect_close(values(sign(x)), {-1, -1, 0, 1, 1}, 0);
  expect_close(values(floor(x)), {-2, -1, 0, 0, 3}, 0);
  expect_close(values(abs(from_vector<std::int64_t>({-3, 4}))), {3, 4}, 0);
  EXPECT_THROW(exp(from_vector<std::int64_t>({1})), Error);
}

TEST(Ops, BroadcastingBinaryAndComparisons) {
  const Tensor a = arange(0.0, 6.0).reshape({2, 3, 1});  // [2, 3, 1]
  const Tensor b = from_vector<float>({10, 20});         // [2]
  const Tensor c = add(a, b);                            // [2, 3, 2]
  EXPECT_EQ(c.shape(), (Shape{2, 3, 2}));
  expect_close(values(c), {10, 20, 11, 21, 12, 22, 13, 23, 14, 24, 15, 25}, 0);
  expect_close(values(gt(a, 2.5).to(DType::f32)), {0, 0, 0, 1, 1, 1}, 0);
  expect_close(values(maximum(a, full({1}, 2.0))), {2, 2, 2, 3, 4, 5}, 0);
  expect_close(
      values(div(from_vector<std::int64_t>({7, -7, 5}), from_vector<std::int64_t>({2, 2, 0}))),
      {3, -4, 0}, 0);
  expect_close(values(where(from_vector<bool>({true, false}), from_vector<float>({1, 2}), -1.0)),
               {1, -1}, 0);
  expect_close(values(clamp(from_vector<float>({-3, 0.5, 9}), -1.0, 1.0)), {-1, 0.5, 1}, 0);
  expect_close(values(logical_and(from_vector<bool>({true, true, false}),
                                  from_vector<bool>({true, false, false}))
                          .to(DType::f32)),
               {1, 0, 0}, 0);
}

TEST(Ops, LargeStridedElementwiseUsesAllThreads) {
  // Large enough for the parallel path; a transposed operand exercises strided rows.
  Generator gen(3);
  const Tensor a = rand({300, 400}, gen), b = rand({400, 300}, gen).t();
  const Tensor c = add(a, b);
  const auto av = a.to_vector<float>(), bv = b.contiguous().to_vector<float>(),
             cv = c.to_vector<float>();
  for (std::size_t i = 0; i < cv.size(); i += 997) EXPECT_EQ(cv[i], av[i] + bv[i]);
}

TEST(Ops, Reductions) {
  const Tensor x = arange(0.0, 24.0, 1.0, {.dtype = DType::f64}).reshape({2, 3, 4});
  expect_close(values(sum(x)), {276}, 0);
  expect_close(values(sum(x, {1})), {12, 15, 18, 21, 48, 51, 54, 57}, 0);
  EXPECT_EQ(sum(x, {0, 2}, true).shape(), (Shape{1, 3, 1}));
  expect_close(values(sum(x, {0, 2})), {60, 92, 124}, 0);
  expect_close(values(mean(x, {-1})), {1.5, 5.5, 9.5, 13.5, 17.5, 21.5}, 1e-12);
  expect_close(values(amax(x, {0, 1})), {20, 21, 22, 23}, 0);
  expect_close(values(var(x, {2})), std::vector<double>(6, 5.0 / 3.0), 1e-12);
  expect_close(values(var(x, {2}, 0)), std::vector<double>(6, 1.25), 1e-12);
  const Tensor big = full({3}, 1000.0, {.dtype = DType::f64});
  expect_close(values(logsumexp(big, {0})), {1000 + std::log(3.0)}, 1e-9);  // no overflow
  const auto m = max(from_vector<float>({1, 5, 5, 2, 0, 3}, {2, 3}), 1);
  expect_close(values(m.values), {5, 3}, 0);
  EXPECT_EQ(m.indices.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 2}));  // first max wins
  EXPECT_EQ(argmin(from_vector<float>({4, 1, 1}), 0).item(), 1);
  EXPECT_TRUE(std::isnan(amax(from_vector<float>({1, NAN, 3})).item()));
  EXPECT_THROW(amax(zeros({0})), Error);
  EXPECT_EQ(sum(zeros({0, 3}), {0}).to_vector<float>(), std::vector<float>(3, 0.0f));
}

TEST(Ops, MatmulAgainstNaiveLoops) {
  Generator gen(4);
  for (auto [m, k, n] : {std::array<std::int64_t, 3>{1, 1, 1}, {5, 7, 3}, {17, 33, 9}}) {
    const Tensor a = randn({m, k}, gen, {.dtype = DType::f64}),
                 b = randn({k, n}, gen, {.dtype = DType::f64});
    std::vector<double> want(m * n, 0.0);
    const auto av = values(a), bv = values(b);
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t p = 0; p < k; ++p) want[i * n + j] += av[i * k + p] * bv[p * n + j];
    expect_close(values(mm(a, b)), want, 1e-12);
    expect_close(values(matmul(b.t(), a.t()).t().contiguous()), want,
                 1e-12);  // transposed operands
    expect_close(values(matmul(a.to(DType::f32), b.to(DType::f32))), want, 1e-4, 1e-5);
  }
  const Tensor batched = matmul(ones({2, 3, 4}), ones({4, 5}));
  EXPECT_EQ(batched.shape(), (Shape{2, 3, 5}));
  EXPECT_EQ(values(batched)[7], 4.0);
  EXPECT_EQ(matmul(ones({4}), ones({4})).shape(), Shape{});
  EXPECT_THROW(mm(ones({2, 3}), ones({4, 2})), Error);
}

// Empty m, k, n or batch: the product is the (possibly empty) broadcast multiply-and-sum over k,
// which for k = 0 is all zeros; gradients keep the operands' (empty) shapes.
TEST(Ops, MatmulWithEmptyDims) {
  const std::vector<std::array<Shape, 2>> cases = {
      {Shape{4, 0}, Shape{0, 3}},       {Shape{0, 5}, Shape{5, 3}},
      {Shape{4, 5}, Shape{5, 0}},       {Shape{2, 4, 0}, Shape{0, 3}},
      {Shape{2, 0, 5}, Shape{5, 3}},    {Shape{0, 4, 5}, Shape{5, 3}},
      {Shape{2, 4, 0}, Shape{2, 0, 3}}, {Shape{3, 1, 4, 0}, Shape{2, 0, 3}}};
  Generator gen(8);
  for (const auto& [a_shape, b_shape] : cases) {
    const Tensor a = randn(a_shape, gen, {.dtype = DType::f64, .requires_grad = true});
    const Tensor b = randn(b_shape, gen, {.dtype = DType::f64, .requires_grad = true});
    const Tensor want = sum(mul(a.unsqueeze(-1), b.unsqueeze(-3)), {-2});
    const Tensor got = matmul(a, b);
    ASSERT_EQ(got.shape(), want.shape()) << shape_str(a_shape) << " @ " << shape_str(b_shape);
    expect_close(values(got), values(want), 0);
    sum(got).backward();
    EXPECT_EQ(a.grad().shape(), a_shape);
    EXPECT_EQ(b.grad().shape(), b_shape);
  }
}

TEST(Ops, SoftmaxFamily) {
  const Tensor x = from_vector<double>({1, 2, 3, -1, 0, 1000}, {2, 3});
  const auto s = values(softmax(x, 1));
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  expect_close({s[0], s[1], s[2]}, {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z},
               1e-15);
  expect_close({s[3], s[4], s[5]}, {0, 0, 1}, 1e-15);  // stable for large logits
  expect_close(values(log_softmax(x, 1)),
               {1 - std::log(z), 2 - std::log(z), 3 - std::log(z), -1001, -1000, 0}, 1e-12);
  expect_close(values(sum(softmax(x, 0), {0})), {1, 1, 1}, 1e-15);
}

TEST(Ops, IndexingAndJoining) {
  const Tensor x = arange(0.0, 12.0).reshape({4, 3});
  expect_close(values(index_select(x, 0, from_vector<std::int64_t>({3, 0}))), {9, 10, 11, 0, 1, 2},
               0);
  expect_close(values(index_select(x, 1, from_vector<std::int32_t>({2}))), {2, 5, 8, 11}, 0);
  expect_close(values(gather(x, 1, from_vector<std::int64_t>({2, 0, 1, 1}, {2, 2}))), {2, 0, 4, 4},
               0);
  expect_close(values(scatter_add(zeros({2, 3}), 1, from_vector<std::int64_t>({0, 0, 2, 1}, {2, 2}),
                                  ones({2, 2}))),
               {2, 0, 0, 0, 1, 1}, 0);
  expect_close(values(index_add(zeros({3}), 0, from_vector<std::int64_t>({1, 1, 2}),
                                from_vector<float>({1, 2, 3}))),
               {0, 3, 3}, 0);
  EXPECT_EQ(one_hot(from_vector<std::int64_t>({2, 0}), 3).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, 0, 1, 1, 0, 0}));
  expect_close(values(cat({ones({1, 2}), zeros({2, 2})}, 0)), {1, 1, 0, 0, 0, 0}, 0);
  EXPECT_EQ(stack({ones({2}), zeros({2})}, 1).shape(), (Shape{2, 2}));
  expect_close(values(pad(ones({1, 2}), {1, 0, 0, 1}, 7)), {7, 1, 1, 7, 7, 7}, 0);
  try {
    index_select(x, 0, from_vector<std::int64_t>({4}));
    FAIL() << "expected an index error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index 4 is out of range [0, 4)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(gather(x, 0, from_vector<std::int64_t>({-1}, {1, 1})), Error);
  EXPECT_THROW(one_hot(from_vector<std::int64_t>({3}), 3), Error);
  EXPECT_THROW(cat({ones({1, 2}), ones({1, 3})}, 0), Error);
}

}  // namespace
