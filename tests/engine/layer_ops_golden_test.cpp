// Layer ops against PyTorch: outputs and input gradients of conv2d, pooling, resizing, norms,
// attention and the timestep embedding match tests/golden/layer_ops.safetensors.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "engine/functional.h"
#include "engine/io/safetensors.h"
#include "test_util.h"

using namespace engine;

namespace {

const char* kRegenerate = "regenerate with: /usr/bin/python3 tests/golden/gen_layer_ops.py";

const io::SafetensorsFile& golden() {
  static const io::SafetensorsFile file = [] {
    auto f = io::load_safetensors(std::string(DREAMBOX_GOLDEN_DIR) + "/layer_ops.safetensors");
    EXPECT_EQ(f.metadata.at("format_version"), "1") << kRegenerate;
    return f;
  }();
  return file;
}

void expect_close(
    const Tensor& got, const Tensor& want, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.contiguous().to_vector<float>(), w = want.to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i)
    ASSERT_LE(std::abs(g[i] - w[i]), atol + rtol * std::abs(w[i]))
        << what << " element " << i << ": " << g[i] << " vs PyTorch " << w[i] << "; "
        << kRegenerate;
}

using Fn = std::function<Tensor(const std::map<std::string, Tensor>&)>;

// Runs `fn` on the case's inputs (as leaves), checks the output, then backpropagates the stored
// upstream gradient and checks every stored input gradient.
void check_case(const std::string& name,
                const std::vector<std::string>& inputs,
                const Fn& fn,
                double atol,
                double rtol = 1e-5) {
  SCOPED_TRACE(name);
  std::map<std::string, Tensor> leaves;
  for (const auto& in : inputs)
    leaves[in] = golden().at(name + ".in." + in).clone().requires_grad_();
  const Tensor out = fn(leaves);
  expect_close(out, golden().at(name + ".out"), atol, rtol, name + " output");
  out.backward(golden().at(name + ".upstream"));
  for (const auto& in : inputs)
    expect_close(leaves[in].grad(), golden().at(name + ".grad." + in), atol, rtol,
                 name + " grad of " + in);
}

TEST(LayerOpsGolden, Conv2d) {
  check_case(
      "conv_basic", {"x", "weight", "bias"},
      [](auto& in) {
        return conv2d(in.at("x"), in.at("weight"), in.at("bias"), {1, 1}, {1, 1});
      },
      2e-5);
  check_case(
      "conv_stride_dil", {"x", "weight", "bias"},
      [](auto& in) {
        return conv2d(in.at("x"), in.at("weight"), in.at("bias"), {2, 2}, {2, 2}, {2, 2}, 2);
      },
      2e-5);
  check_case(
      "conv_pointwise", {"x", "weight"},
      [](auto& in) { return conv2d(in.at("x"), in.at("weight")); }, 2e-5);
  check_case(
      "conv_7x7_s2", {"x", "weight"},
      [](auto& in) {
        return conv2d(in.at("x"), in.at("weight"), {}, {2, 2}, {3, 3});
      },
      5e-5);
  check_case(
      "conv_depthwise", {"x", "weight", "bias"},
      [](auto& in) {
        return conv2d(in.at("x"), in.at("weight"), in.at("bias"), {1, 1}, {1, 1}, {1, 1}, 4);
      },
      2e-5);
}

TEST(LayerOpsGolden, Pooling) {
  check_case(
      "maxpool_3s2p1", {"x"},
      [](auto& in) {
        return max_pool2d(in.at("x"), {3, 3}, Pair{2, 2}, {1, 1});
      },
      0, 0);
  check_case(
      "maxpool_ceil", {"x"},
      [](auto& in) {
        return max_pool2d(in.at("x"), {2, 2}, Pair{2, 2}, {0, 0}, {1, 1}, true);
      },
      0, 0);
  check_case(
      "avgpool_pad_incl", {"x"},
      [](auto& in) {
        return avg_pool2d(in.at("x"), {3, 3}, Pair{2, 2}, {1, 1});
      },
      1e-6);
  check_case(
      "avgpool_pad_excl_ceil", {"x"},
      [](auto& in) {
        return avg_pool2d(in.at("x"), {3, 3}, Pair{2, 2}, {1, 1}, true, false);
      },
      1e-6);
  check_case(
      "adaptive_avg_3x4", {"x"},
      [](auto& in) {
        return adaptive_avg_pool2d(in.at("x"), {3, 4});
      },
      1e-6);
}

TEST(LayerOpsGolden, Resize) {
  check_case(
      "nearest_to_25x19", {"x"},
      [](auto& in) {
        return upsample_nearest(in.at("x"), Pair{25, 19});
      },
      0, 0);
  check_case(
      "nearest_x2", {"x"}, [](auto& in) { return upsample_nearest(in.at("x"), std::int64_t{2}); },
      0, 0);
  check_case(
      "bilinear_to_12x9", {"x"},
      [](auto& in) {
        return upsample_bilinear(in.at("x"), {12, 9});
      },
      1e-6);
  check_case(
      "bilinear_down_4x5", {"x"},
      [](auto& in) {
        return upsample_bilinear(in.at("x"), {4, 5});
      },
      1e-6);
  check_case(
      "bilinear_corners_11x7", {"x"},
      [](auto& in) {
        return upsample_bilinear(in.at("x"), {11, 7}, true);
      },
      1e-6);
}

TEST(LayerOpsGolden, Norms) {
  const Tensor rm = golden().at("batchnorm_train.running_mean_before").clone();
  const Tensor rv = golden().at("batchnorm_train.running_var_before").clone();
  check_case(
      "batchnorm_train", {"x", "weight", "bias"},
      [&](auto& in) {
        return batch_norm(in.at("x"), rm, rv, in.at("weight"), in.at("bias"), true, 0.1, 1e-5);
      },
      1e-5);
  expect_close(rm, golden().at("batchnorm_train.running_mean_after"), 1e-6, 1e-6, "running_mean");
  expect_close(rv, golden().at("batchnorm_train.running_var_after"), 1e-6, 1e-6, "running_var");
  check_case(
      "batchnorm_eval", {"x", "weight", "bias"},
      [](auto& in) {
        return batch_norm(in.at("x"), golden().at("batchnorm_eval.running_mean"),
                          golden().at("batchnorm_eval.running_var"), in.at("weight"), in.at("bias"),
                          false);
      },
      1e-5);
  check_case(
      "groupnorm_3", {"x", "weight", "bias"},
      [](auto& in) { return group_norm(in.at("x"), 3, in.at("weight"), in.at("bias"), 1e-6); },
      1e-5);
  check_case(
      "layernorm_8", {"x", "weight", "bias"},
      [](auto& in) { return layer_norm(in.at("x"), {8}, in.at("weight"), in.at("bias")); }, 1e-5);
}

TEST(LayerOpsGolden, AttentionAndTimestepEmbedding) {
  check_case(
      "sdpa", {"q", "k", "v"},
      [](auto& in) { return scaled_dot_product_attention(in.at("q"), in.at("k"), in.at("v")); },
      1e-5);
  expect_close(timestep_embedding(golden().at("timestep.t"), 10), golden().at("timestep.out"), 2e-5,
               1e-5, "timestep embedding");
}

}  // namespace
