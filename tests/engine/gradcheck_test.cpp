// Finite-difference gradchecks (f64) for every differentiable op of the engine core,
// including broadcast operands, non-contiguous inputs and tensors used several times.
#include <gtest/gtest.h>

#include "test_util.h"

using namespace engine;
using test_util::leaf;
using test_util::transposed_leaf;
using Inputs = std::vector<Tensor>;

namespace {

struct UnaryCase {
  UnaryOp op;
  double low, high;  // input range where the op is smooth
};

class UnaryGradcheck : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryGradcheck, MatchesFiniteDifferences) {
  const auto c = GetParam();
  const Tensor x = leaf({3, 4}, 11, c.low, c.high);
  EXPECT_GRADCHECK([&](const Inputs& in) { return unary(c.op, in[0]); }, Inputs{x});
  const Tensor xt = transposed_leaf(4, 3, 12);  // non-contiguous input
  Tensor xt_scaled = xt;
  EXPECT_GRADCHECK(
      [&](const Inputs& in) {
        return unary(c.op, add(mul(in[0], (c.high - c.low) / 2), (c.high + c.low) / 2));
      },
      Inputs{xt_scaled});
}

INSTANTIATE_TEST_SUITE_P(AllUnary,
                         UnaryGradcheck,
                         ::testing::Values(UnaryCase{UnaryOp::neg, -1, 1},
                                           UnaryCase{UnaryOp::exp, -1, 1},
                                           UnaryCase{UnaryOp::log, 0.5, 2},
                                           UnaryCase{UnaryOp::sqrt, 0.5, 2},
                                           UnaryCase{UnaryOp::rsqrt, 0.5, 2},
                                           UnaryCase{UnaryOp::abs, 0.2, 1},
                                           UnaryCase{UnaryOp::sin, -2, 2},
                                           UnaryCase{UnaryOp::cos, -2, 2},
                                           UnaryCase{UnaryOp::square, -1, 1},
                                           UnaryCase{UnaryOp::reciprocal, 0.5, 2},
                                           UnaryCase{UnaryOp::relu, 0.1, 1},
                                           UnaryCase{UnaryOp::sigmoid, -3, 3},
                                           UnaryCase{UnaryOp::tanh, -2, 2},
                                           UnaryCase{UnaryOp::silu, -3, 3},
                                           UnaryCase{UnaryOp::gelu, -3, 3},
                                           UnaryCase{UnaryOp::log1p, -0.5, 2},
                                           UnaryCase{UnaryOp::expm1, -1, 1}),
                         [](const auto& info) { return std::string(op_name(info.param.op)); });

TEST(Gradcheck, ReluAndAbsOnBothSides) {
  // Values away from the kink at 0 on both sides.
  const Tensor x = from_vector<double>({-0.7, -0.2, 0.3, 0.9}, {4},
                                       {.dtype = DType::f64, .requires_grad = true});
  EXPECT_GRADCHECK([](const Inputs& in) { return relu(in[0]); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return abs(in[0]); }, Inputs{x});
}

TEST(Gradcheck, BinaryWithBroadcasting) {
  const Tensor a = leaf({3, 1, 4}, 1, 0.5, 1.5), b = leaf({2, 1}, 2, 0.5, 1.5);
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::pow,
                      BinaryOp::maximum, BinaryOp::minimum}) {
    SCOPED_TRACE(op_name(op));
    EXPECT_GRADCHECK([op](const Inputs& in) { return binary(op, in[0], in[1]); }, (Inputs{a, b}));
  }
}

TEST(Gradcheck, BinaryNonContiguousAndScalarForms) {
  const Tensor a = transposed_leaf(3, 4, 3), b = leaf({4}, 4, 0.5, 1.5);
  EXPECT_GRADCHECK([](const Inputs& in) { return div(mul(in[0], in[1]), add(in[1], 2.0)); },
                   (Inputs{a, b}));
  EXPECT_GRADCHECK([](const Inputs& in) { return 3.0 - 2.0 * in[0] / 4.0 + pow(in[1], 3.0); },
                   (Inputs{a, b}));
}

TEST(Gradcheck, TensorUsedSeveralTimes) {
  const Tensor x = leaf({5}, 5);
  EXPECT_GRADCHECK([](const Inputs& in) { return add(mul(in[0], in[0]), mul(sin(in[0]), in[0])); },
                   Inputs{x});
}

TEST(Gradcheck, WhereAndClamp) {
  const Tensor a = leaf({3, 4}, 6), b = leaf({4}, 7);
  const Tensor cond = gt(leaf({3, 4}, 8).detach(), 0.0);
  EXPECT_GRADCHECK([&](const Inputs& in) { return where(cond, in[0], in[1]); }, (Inputs{a, b}));
  // Clamp bounds chosen away from the sampled values so finite differences do not straddle them.
  const Tensor x = from_vector<double>({-0.9, -0.3, 0.1, 0.45, 0.8}, {5},
                                       {.dtype = DType::f64, .requires_grad = true});
  EXPECT_GRADCHECK([](const Inputs& in) { return clamp(in[0], -0.5, 0.5); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return clamp(in[0], std::nullopt, 0.3); }, Inputs{x});
}

TEST(Gradcheck, Reductions) {
  const Tensor x = leaf({3, 4, 2}, 9);
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0]); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0], {0, 2}); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return mean(in[0], {1}, true); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return var(in[0], {1}); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return var(in[0], {0, 2}, 0, true); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return logsumexp(in[0], {-1}); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return logsumexp(in[0], {0, 1}, true); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return amax(in[0], {1}); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return amin(in[0], {}); }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return max(in[0], 2).values; }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return min(in[0], 0, true).values; }, Inputs{x});
  const Tensor xt = transposed_leaf(3, 5, 10);
  EXPECT_GRADCHECK([](const Inputs& in) { return sum(in[0], {1}); }, Inputs{xt});
  EXPECT_GRADCHECK([](const Inputs& in) { return logsumexp(in[0], {0}); }, Inputs{xt});
}

TEST(Gradcheck, MatrixProducts) {
  const Tensor a = leaf({3, 4}, 20), b = leaf({4, 5}, 21), at = transposed_leaf(3, 4, 22);
  EXPECT_GRADCHECK([](const Inputs& in) { return mm(in[0], in[1]); }, (Inputs{a, b}));
  EXPECT_GRADCHECK([](const Inputs& in) { return mm(in[0], in[1]); }, (Inputs{at, b}));
  const Tensor ba = leaf({2, 3, 4}, 23), bb = leaf({2, 4, 2}, 24);
  EXPECT_GRADCHECK([](const Inputs& in) { return bmm(in[0], in[1]); }, (Inputs{ba, bb}));
  const Tensor v = leaf({4}, 25), batch_b = leaf({3, 4, 2}, 26), mat = leaf({2, 1, 3, 4}, 27);
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   (Inputs{v, batch_b}));  // 1-D @ 3-D
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   (Inputs{mat, batch_b}));  // broadcast batch
  EXPECT_GRADCHECK([](const Inputs& in) { return matmul(in[0], in[1]); },
                   (Inputs{ba, v}));  // 3-D @ 1-D
  const Tensor w = leaf({5, 4}, 28), bias = leaf({5}, 29);
  EXPECT_GRADCHECK([](const Inputs& in) { return linear(in[0], in[1], in[2]); },
                   (Inputs{ba, w, bias}));
}

TEST(Gradcheck, Softmax) {
  const Tensor x = leaf({3, 4, 2}, 30, -2, 2);
  for (std::int64_t dim : {0, 1, -1}) {
    EXPECT_GRADCHECK([dim](const Inputs& in) { return softmax(in[0], dim); }, Inputs{x});
    EXPECT_GRADCHECK([dim](const Inputs& in) { return log_softmax(in[0], dim); }, Inputs{x});
  }
  EXPECT_GRADCHECK([](const Inputs& in) { return log_softmax(in[0], 1); },
                   Inputs{transposed_leaf(3, 4, 31)});
}

TEST(Gradcheck, Indexing) {
  const Tensor x = leaf({4, 3}, 40), idx = from_vector<std::int64_t>({2, 0, 2});
  EXPECT_GRADCHECK([&](const Inputs& in) { return index_select(in[0], 0, idx); }, Inputs{x});
  EXPECT_GRADCHECK([&](const Inputs& in) { return index_select(in[0], 1, idx); }, Inputs{x});
  const Tensor gidx = from_vector<std::int64_t>({0, 2, 1, 1, 0, 0}, {3, 2});
  EXPECT_GRADCHECK([&](const Inputs& in) { return gather(in[0], 1, gidx); }, Inputs{x});
  const Tensor src = leaf({3, 2}, 41);
  EXPECT_GRADCHECK([&](const Inputs& in) { return scatter_add(in[0], 1, gidx, in[1]); },
                   (Inputs{x, src}));
  const Tensor add_src = leaf({3, 3}, 42);
  EXPECT_GRADCHECK([&](const Inputs& in) { return index_add(in[0], 0, idx, in[1]); },
                   (Inputs{x, add_src}));
}

TEST(Gradcheck, JoinPadAndViews) {
  const Tensor a = leaf({2, 3}, 50), b = leaf({4, 3}, 51), c = transposed_leaf(2, 3, 52);
  EXPECT_GRADCHECK([](const Inputs& in) { return cat({in[0], in[1]}, 0); }, (Inputs{a, b}));
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return stack({in[0], in[1], in[0]}, 1);
      },
      (Inputs{a, c}));
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {1, 2, 0, 1}, 0.5); }, Inputs{a});
  EXPECT_GRADCHECK([](const Inputs& in) { return pad(in[0], {-1, 1}); }, Inputs{a});
  EXPECT_GRADCHECK([](const Inputs& in) { return mul(in[0].t().reshape({6}), in[0].reshape({6})); },
                   Inputs{a});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return in[0].slice(1, 0, 3, 2).permute({1, 0}).unsqueeze(0);
      },
      Inputs{a});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return mul(in[0].unsqueeze(1).expand({2, 4, 3}), 2.0);
      },
      Inputs{a});
  EXPECT_GRADCHECK([](const Inputs& in) { return in[0].select(1, 2).clone(); }, Inputs{a});
  // Through an f32 round trip the function is still linear, so a large step is exact up to f32
  // rounding (1e-7 / 2e-2), where the default 1e-6 step would drown in it.
  const auto cast =
      gradcheck([](const Inputs& in) { return mul(in[0].to(DType::f32), 3.0).to(DType::f64); },
                Inputs{a}, {.eps = 1e-2});
  EXPECT_TRUE(cast.ok) << cast.message;
  EXPECT_GRADCHECK([](const Inputs& in) { return in[0].flatten(); }, Inputs{c});
}

}  // namespace
