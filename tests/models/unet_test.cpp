// The diffusion UNet against a plain-torch reference with diffusers' names (tests/golden/
// gen_diffusion.py): names, output and gradients on formula weights, preset sizes, bad configs.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "diffusion_golden.h"
#include "formula_weights.h"
#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/unet.h"

using namespace engine;

namespace {

using diffusion_golden::golden;
using diffusion_golden::kRegenerate;

// Largest |got - want| relative to the largest |want|.
double relative_error(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  const auto g = got.contiguous().to_vector<float>(), w = want.to_vector<float>();
  double worst = 0, scale = 1e-30;
  for (std::size_t i = 0; i < w.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(g[i] - w[i])));
    scale = std::max(scale, static_cast<double>(std::abs(w[i])));
  }
  return worst / scale;
}

TEST(UNet, NamesFollowDiffusersUNet2DModel) {
  Generator gen(1);
  models::UNet2DModel unet(test_formula::tiny_unet_config(), gen);
  std::ostringstream names;
  const auto state = unet.state_dict();
  for (std::size_t i = 0; i < state.size(); ++i) names << (i ? "," : "") << state[i].first;
  EXPECT_EQ(names.str(), golden().metadata.at("unet.names")) << kRegenerate;
  // Zero-initialised output convolution, ResNet conv2 and attention output (ADM's zero_module).
  for (const auto& [name, t] : state) {
    if (name.starts_with("conv_out.") || name.find(".conv2.") != std::string::npos ||
        name.find(".to_out.0.") != std::string::npos) {
      EXPECT_EQ(max(abs(t)).item(), 0.0) << name;
    }
  }
}

TEST(UNet, ForwardAndBackwardMatchTorchReference) {
  const auto& g = golden();
  Generator gen(1);
  models::UNet2DModel unet(test_formula::tiny_unet_config(), gen);
  test_formula::load_diffusion_formula(unet);  // the same formula as gen_diffusion.py
  unet.eval();

  Tensor x = g.at("unet.input").clone();
  x.requires_grad_();
  const Tensor out = unet.forward(x, g.at("unet.timesteps"), g.at("unet.labels"));
  EXPECT_LE(relative_error(out, g.at("unet.output")), 2e-5) << kRegenerate;
  sum(mul(out, g.at("unet.probe"))).backward();
  EXPECT_LE(relative_error(x.grad(), g.at("unet.grad.input")), 2e-5) << "input grad";
  for (const auto& [name, t] : unet.named_parameters()) {
    const std::string key = "unet.grad." + name;
    if (!g.contains(key)) continue;
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_LE(relative_error(t.grad(), g.at(key)), 2e-5) << name;
  }
}

TEST(UNet, PresetsHaveTheReferenceParameterCounts) {
  const auto& g = golden();
  for (const char* name : {"cpu-demo", "gpu-base"}) {
    const models::UNetConfig config = models::UNetConfig::preset(name);
    Generator gen(2);
    models::UNet2DModel unet(config, gen);
    EXPECT_EQ(static_cast<double>(models::count_parameters(unet)),
              g.at(std::string("unet.params.") + name).item())
        << name << "; " << kRegenerate;
  }
  const models::UNetConfig demo = models::UNetConfig::preset("cpu-demo");
  EXPECT_EQ(demo.block_out_channels(), (std::vector<std::int64_t>{32, 64, 64}));
  EXPECT_EQ(models::UNetConfig::preset("gpu-base").block_out_channels(),
            (std::vector<std::int64_t>{96, 192, 288, 384}));
}

TEST(UNet, CpuDemoForwardShape) {
  Generator gen(3);
  models::UNet2DModel unet(models::UNetConfig::preset("cpu-demo"), gen);
  autograd::NoGradGuard no_grad;
  const Tensor x = randn({2, 7, 32, 32}, gen);
  const Tensor t = from_vector<std::int64_t>({10, 900});
  const Tensor labels = from_vector<std::int64_t>({4, 20});  // 20 = null
  const Tensor out = unet.forward(x, t, labels);
  EXPECT_EQ(out.shape(), (Shape{2, 3, 32, 32}));
  // Zero output convolution: the untrained model predicts zero noise.
  EXPECT_EQ(max(abs(out)).item(), 0.0);
  // Embedded classes give the same as labels.
  const Tensor again = unet.forward_embedded(x, t, unet.class_embedding(labels));
  EXPECT_EQ(again.to_vector<float>(), out.to_vector<float>());
}

TEST(UNet, BadConfigsAndInputsGiveClearErrors) {
  EXPECT_THROW(models::UNetConfig::preset("gpu-huge"), Error);
  models::UNetConfig c = test_formula::tiny_unet_config();
  c.sample_size = 17;  // not divisible by 2
  EXPECT_THROW(c.validate(), Error);
  c = test_formula::tiny_unet_config();
  c.base_channels = 12;  // not a multiple of 8 groups
  EXPECT_THROW(models::UNet2DModel{c}, Error);
  Generator gen(4);
  models::UNet2DModel unet(test_formula::tiny_unet_config(), gen);
  const Tensor t = from_vector<std::int64_t>({1});
  try {
    unet.forward(randn({1, 7, 17, 17}, gen), t, from_vector<std::int64_t>({0}));
    FAIL() << "odd image size accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not divisible"), std::string::npos) << e.what();
  }
  EXPECT_THROW(unet.forward(randn({1, 3, 16, 16}, gen), t, from_vector<std::int64_t>({0})), Error);
  EXPECT_THROW(unet.forward(randn({1, 7, 16, 16}, gen), t, from_vector<std::int64_t>({4})), Error);
}

}  // namespace
