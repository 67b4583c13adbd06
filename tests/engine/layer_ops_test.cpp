// Layer ops: f64 gradchecks (conv with every option, pooling, resizing, norms, attention,
// dropout) and the bad-input errors (ranks, channel/group mismatch, kernel larger than input).
#include <gtest/gtest.h>

#include "engine/functional.h"
#include "test_util.h"

using namespace engine;
using test_util::leaf;
using Inputs = std::vector<Tensor>;

namespace {

TEST(LayerOpsGradcheck, Conv2dAllOptions) {
  const Tensor x = leaf({2, 4, 6, 5}, 1), w = leaf({6, 2, 3, 2}, 2), b = leaf({6}, 3);
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return conv2d(in[0], in[1], in[2], {2, 1}, {1, 2}, {1, 2}, 2);
      },
      (Inputs{x, w, b}));
  const Tensor w1 = leaf({3, 4, 1, 1}, 4);
  EXPECT_GRADCHECK([](const Inputs& in) { return conv2d(in[0], in[1]); }, (Inputs{x, w1}));
  // Stride 1: the input gradient is computed as the conv of grad_out with the flipped weights
  // (here grouped, dilated, padded differently per side); a 1x1 padded by 1 cannot be.
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return conv2d(in[0], in[1], in[2], {1, 1}, {1, 0}, {2, 1}, 2);
      },
      (Inputs{x, w, b}));
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return conv2d(in[0], in[1], {}, {1, 1}, {1, 1});
      },
      (Inputs{x, w1}));
  // A non-contiguous input (channels-last storage viewed as NCHW).
  const Tensor base = leaf({2, 6, 5, 4}, 5).detach();
  Tensor xt = base.permute({0, 3, 1, 2});
  xt.requires_grad_(true);
  const Tensor w2 = leaf({2, 4, 3, 3}, 6);
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return conv2d(in[0], in[1], {}, {1, 1}, {1, 1});
      },
      (Inputs{xt, w2}));
}

TEST(LayerOpsGradcheck, PoolingAndResizing) {
  const Tensor x = leaf({1, 2, 7, 6}, 7);  // random values: no ties among max-pool candidates
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return max_pool2d(in[0], {3, 3}, Pair{2, 2}, {1, 1});
      },
      Inputs{x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return max_pool2d(in[0], {2, 2}, std::nullopt, {0, 0}, {1, 1}, true);
      },
      Inputs{x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return avg_pool2d(in[0], {3, 2}, Pair{2, 2}, {1, 1}, true, false);
      },
      Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return adaptive_avg_pool2d(in[0], {4, 5}); }, Inputs{x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return upsample_nearest(in[0], Pair{11, 9});
      },
      Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return upsample_bilinear(in[0], {9, 4}); }, Inputs{x});
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return upsample_bilinear(in[0], {10, 11}, true);
      },
      Inputs{x});
}

TEST(LayerOpsGradcheck, Norms) {
  const Tensor x = leaf({3, 4, 2, 3}, 8), w = leaf({4}, 9), b = leaf({4}, 10);
  EXPECT_GRADCHECK([](const Inputs& in) { return batch_norm(in[0], {}, {}, in[1], in[2], true); },
                   (Inputs{x, w, b}));
  EXPECT_GRADCHECK([](const Inputs& in) { return group_norm(in[0], 2, in[1], in[2]); },
                   (Inputs{x, w, b}));
  const Tensor lw = leaf({2, 3}, 11), lb = leaf({2, 3}, 12);
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return layer_norm(in[0], {2, 3}, in[1], in[2]);
      },
      (Inputs{x, lw, lb}));
  const Tensor rm = leaf({4}, 13).detach(), rv = add(leaf({4}, 14).detach(), 2.0);
  EXPECT_GRADCHECK([&](const Inputs& in) { return frozen_batch_norm(in[0], rm, rv, in[1], in[2]); },
                   (Inputs{x, w, b}));
}

TEST(LayerOpsGradcheck, AttentionAndDropout) {
  const Tensor q = leaf({2, 3, 4}, 15), k = leaf({2, 5, 4}, 16), v = leaf({2, 5, 3}, 17);
  const Tensor mask = gt(leaf({3, 5}, 18).detach(), -0.5);
  EXPECT_GRADCHECK(
      [](const Inputs& in) { return scaled_dot_product_attention(in[0], in[1], in[2]); },
      (Inputs{q, k, v}));
  EXPECT_GRADCHECK(
      [&](const Inputs& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], mask, 0.3);
      },
      (Inputs{q, k, v}));
  const Tensor x = leaf({50}, 19);
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        Generator gen(5);  // the same mask on every evaluation
        return dropout(in[0], 0.3, true, gen);
      },
      Inputs{x});
}

TEST(LayerOps, DropoutKeepsTheExpectation) {
  Generator gen(1);
  const Tensor x = ones({100000});
  const Tensor y = dropout(x, 0.25, true, gen);
  EXPECT_NEAR(mean(y).item(), 1.0, 0.01);
  EXPECT_NEAR(mean(eq(y, 0.0).to(DType::f32)).item(), 0.25, 0.01);
  EXPECT_TRUE(dropout(x, 0.25, false, gen).is_same(x));
}

TEST(LayerOps, BadInputGivesClearErrors) {
  const Tensor x = ones({1, 4, 5, 5});
  auto expect_error = [](const std::function<void()>& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "expected an error containing '" << needle << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([&] { conv2d(ones({4, 5, 5}), ones({2, 4, 3, 3})); }, "[N, C, H, W]");
  expect_error([&] { conv2d(x, ones({2, 3, 3, 3})); }, "input channels");
  expect_error([&] { conv2d(x, ones({3, 2, 3, 3}), {}, {1, 1}, {0, 0}, {1, 1}, 2); }, "groups");
  expect_error([&] { conv2d(x, ones({2, 4, 7, 7})); }, "larger than the padded input");
  expect_error([&] { max_pool2d(x, {7, 7}); }, "larger than the padded input");
  expect_error([&] { group_norm(x, 3); }, "groups do not divide");
  expect_error([&] { layer_norm(x, {4}); }, "trailing dims");
  expect_error(
      [&] {
        batch_norm(ones({1, 4}), {}, {}, {}, {}, true);
      },
      "more than one value per channel");
  expect_error([&] { upsample_nearest(x, Pair{0, 3}); }, "positive");
}

TEST(LayerOps, TimestepEmbeddingOddDimAndShapes) {
  const Tensor t = from_vector<std::int64_t>({0, 5});
  const Tensor e = timestep_embedding(t, 7);
  EXPECT_EQ(e.shape(), (Shape{2, 7}));
  const auto v = e.to_vector<float>();
  EXPECT_EQ(v[0], 1.0f);  // cos(0)
  EXPECT_EQ(v[3], 0.0f);  // sin(0)
  EXPECT_EQ(v[6], 0.0f);  // zero padding column
}

}  // namespace
