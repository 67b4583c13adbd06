// Autograd semantics: accumulation into .grad, a tensor used several times, broadcast
// reduction, detach, NoGradGuard, in-place protection, views of leaves, deep chains.
#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "test_util.h"

using namespace engine;

TEST(Autograd, AccumulatesAcrossBackwardCalls) {
  Tensor x = from_vector<float>({1, 2, 3}).requires_grad_();
  sum(mul(x, x)).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 4, 6}));
  sum(mul(x, 3.0)).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{5, 7, 9}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, BroadcastGradientsReduceToInputShape) {
  Tensor a = ones({3, 1}).requires_grad_(), b = ones({4}).requires_grad_();
  sum(mul(a, b)).backward();
  EXPECT_EQ(a.grad().shape(), (Shape{3, 1}));
  EXPECT_EQ(a.grad().to_vector<float>(), std::vector<float>(3, 4.0f));
  EXPECT_EQ(b.grad().to_vector<float>(), std::vector<float>(4, 3.0f));
}

TEST(Autograd, DiamondGraphSumsBothPaths) {
  Tensor x = from_vector<float>({2}).requires_grad_();
  Tensor y = mul(x, 3.0);
  Tensor z = add(mul(y, y), y);  // z = 9x^2 + 3x, dz/dx = 18x + 3
  z.backward(ones({1}));
  EXPECT_EQ(x.grad().to_vector<float>()[0], 39.0f);
}

TEST(Autograd, DetachAndNoGrad) {
  Tensor x = ones({2}).requires_grad_();
  EXPECT_FALSE(x.detach().requires_grad());
  {
    autograd::NoGradGuard no_grad;
    Tensor y = mul(x, 2.0);
    EXPECT_FALSE(y.requires_grad());
    x.fill_(3.0);  // allowed under no_grad (optimizer updates)
  }
  EXPECT_TRUE(mul(x, 2.0).requires_grad());
  EXPECT_THROW(x.fill_(1.0), Error);
  EXPECT_THROW(mul(x, 2.0).requires_grad_(false), Error);
  EXPECT_THROW(sum(x.detach()).backward(), Error);
  EXPECT_THROW(mul(x, 2.0).backward(), Error);  // non-scalar root needs an explicit gradient
}

TEST(Autograd, GradientsThroughViewsOfLeaves) {
  Tensor x = arange(0.0, 6.0).reshape({2, 3}).detach().requires_grad_();
  Tensor y = x.t().narrow(0, 1, 2);  // [2, 2] view of columns 1..2
  sum(mul(y, y)).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 2, 4, 0, 8, 10}));
}

TEST(Autograd, GradIsNotAliasedBetweenLeaves) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_();
  add(a, b).backward(ones({2}));
  {
    autograd::NoGradGuard no_grad;
    a.grad().fill_(5.0);
  }
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Autograd, DeepChainOfTinyOps) {
  Tensor x = from_vector<double>({0.5}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 2000; ++i) y = add(mul(y, 1.0), 0.001);
  y.backward(ones({1}, {.dtype = DType::f64}));
  EXPECT_DOUBLE_EQ(x.grad().item(), 1.0);
  EXPECT_NEAR(y.item(), 2.5, 1e-12);
}

TEST(Autograd, UnusedBranchStillLetsOtherPathsThrough) {
  // y feeds both a branch that yields no gradient (argmax) and a differentiable one.
  Tensor x = from_vector<float>({1, 3, 2}).requires_grad_();
  Tensor y = mul(x, 2.0);
  Tensor idx = argmax(y, 0);
  Tensor loss = sum(mul(y, idx.to(DType::f32)));
  loss.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 2, 2}));
}
