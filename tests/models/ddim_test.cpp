// DDIM scheduler and inpainting sampler: schedules, spacings and steps against the reference in
// tests/golden/gen_diffusion.py; guidance batching, determinism, a tiny overfit, bad arguments.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "diffusion_golden.h"
#include "formula_weights.h"
#include "engine/autograd.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "models/ddim_inpaint.h"

using namespace engine;
using models::BetaSchedule;
using models::PredictionType;
using models::TimestepSpacing;

namespace {

using diffusion_golden::golden;
using diffusion_golden::kRegenerate;

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  return max(abs(sub(a.to(DType::f64), b.to(DType::f64)))).item();
}

models::DDIMSchedulerConfig config_for(const std::string& schedule,
                                       const std::string& spacing,
                                       std::int64_t offset) {
  models::DDIMSchedulerConfig c;
  c.beta_schedule = models::beta_schedule_from_name(schedule);
  c.timestep_spacing = models::timestep_spacing_from_name(spacing);
  c.steps_offset = offset;
  return c;
}

TEST(DDIM, AlphasCumprodMatchReference) {
  for (const char* name : {"linear", "scaled_linear", "squaredcos_cap_v2"}) {
    const models::DDIMScheduler s(config_for(name, "trailing", 0));
    const auto want = golden().at(std::string("alphas_cumprod.") + name).to_vector<double>();
    ASSERT_EQ(s.alphas_cumprod().size(), want.size()) << name;
    for (std::size_t i = 0; i < want.size(); ++i)
      ASSERT_NEAR(s.alphas_cumprod()[i], want[i], 1e-12 * want[i] + 1e-15) << name << " t=" << i;
  }
  // Terminal values quoted in diffusion-spec.md.
  EXPECT_NEAR(models::DDIMScheduler(config_for("linear", "leading", 0)).alphas_cumprod().back(),
              4.0e-5, 0.1e-5);
  EXPECT_NEAR(models::DDIMScheduler(config_for("cosine", "leading", 0)).alphas_cumprod().back(),
              2.4e-9, 0.1e-9);
}

TEST(DDIM, TimestepSpacingsMatchReference) {
  for (const auto& [spacing, n, offset] :
       std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{{"leading", 50, 1},
                                                                        {"leading", 7, 0},
                                                                        {"trailing", 50, 0},
                                                                        {"trailing", 16, 0},
                                                                        {"trailing", 7, 0},
                                                                        {"linspace", 7, 0}}) {
    models::DDIMScheduler s(config_for("cosine", spacing, offset));
    s.set_timesteps(n);
    const std::string key =
        "timesteps." + spacing + "." + std::to_string(n) + "." + std::to_string(offset);
    EXPECT_EQ(s.timesteps(), golden().at(key).to_vector<std::int64_t>()) << key;
  }
  models::DDIMScheduler sd(config_for("scaled_linear", "leading", 1));
  sd.set_timesteps(50);
  EXPECT_EQ(sd.timesteps().front(), 981);  // Stable Diffusion's 981, 961, ..., 1
  EXPECT_EQ(sd.timesteps().back(), 1);
}

struct StepCase {
  std::string name, schedule, spacing;
  std::int64_t steps, offset;
  std::size_t index;
  double eta;
  PredictionType prediction;
  bool clip;
  std::optional<std::pair<double, double>> threshold;  // ratio, sample_max_value
};

TEST(DDIM, StepsMatchReference) {
  const auto& g = golden();
  const std::vector<StepCase> cases = {
      {"eta0", "squaredcos_cap_v2", "trailing", 10, 0, 3, 0.0, PredictionType::epsilon, true, {}},
      {"eta07", "squaredcos_cap_v2", "trailing", 10, 0, 3, 0.7, PredictionType::epsilon, true, {}},
      {"vpred", "scaled_linear", "leading", 20, 1, 5, 0.5, PredictionType::v_prediction, false, {}},
      {"thresh", "linear", "trailing", 25, 0, 2, 1.0, PredictionType::epsilon, true,
       std::pair{0.995, 1.5}},
      {"thresh_wide", "squaredcos_cap_v2", "trailing", 25, 0, 4, 0.0, PredictionType::epsilon, true,
       std::pair{0.9, 10.0}},
      {"last", "squaredcos_cap_v2", "leading", 10, 1, 9, 0.3, PredictionType::epsilon, false, {}},
  };
  for (const StepCase& c : cases) {
    models::DDIMSchedulerConfig config = config_for(c.schedule, c.spacing, c.offset);
    config.prediction_type = c.prediction;
    config.clip_sample = c.clip;
    if (c.threshold) {
      config.thresholding = true;
      config.dynamic_thresholding_ratio = c.threshold->first;
      config.sample_max_value = c.threshold->second;
    }
    models::DDIMScheduler s(config);
    s.set_timesteps(c.steps);
    const auto out = s.step_with_noise(g.at("ddim.model_output"), c.index, g.at("ddim.sample"),
                                       c.eta, g.at("ddim.noise"));
    const Tensor want_prev = g.at("ddim." + c.name + ".prev_sample");
    const Tensor want_x0 = g.at("ddim." + c.name + ".pred_original_sample");
    const double scale = max(abs(want_prev)).item() + max(abs(want_x0)).item();
    EXPECT_LE(max_abs_diff(out.prev_sample, want_prev), 2e-6 * scale) << c.name;
    EXPECT_LE(max_abs_diff(out.pred_original_sample, want_x0), 2e-6 * scale) << c.name;
  }
}

TEST(DDIM, ForwardProcessAndVelocityMatchReference) {
  const auto& g = golden();
  const models::DDIMScheduler s(config_for("cosine", "trailing", 0));
  const Tensor x0 = g.at("ddim.sample"), noise = g.at("ddim.noise"), t = g.at("q_sample.timesteps");
  EXPECT_LE(max_abs_diff(s.add_noise(x0, noise, t), g.at("q_sample.x_t")), 1e-6);
  EXPECT_LE(max_abs_diff(s.get_velocity(x0, noise, t), g.at("q_sample.velocity")), 1e-6);
  EXPECT_THROW(s.add_noise(x0, noise, from_vector<std::int64_t>({0, 1000})), Error);
}

TEST(DDIM, EtaZeroStepIsDeterministicAndLeavesTheGeneratorAlone) {
  models::DDIMScheduler s;
  s.set_timesteps(10);
  Generator gen(1);
  const Tensor x = randn({1, 3, 4, 4}, gen), eps = randn({1, 3, 4, 4}, gen);
  const std::uint64_t offset = gen.offset();
  const Tensor a = s.step(eps, 0, x, 0.0, gen).prev_sample;
  EXPECT_EQ(gen.offset(), offset);
  const Tensor b = s.step(eps, 0, x, 1.0, gen).prev_sample;
  EXPECT_GT(gen.offset(), offset);
  EXPECT_GT(max_abs_diff(a, b), 1e-3);
}

TEST(DDIM, ClassifierFreeGuidanceCombinesHalves) {
  const Tensor out = from_vector<float>({1, 2, 5, 10}, {4, 1});  // [u0, u1, c0, c1]
  EXPECT_EQ(models::classifier_free_guidance(out, 3.0).to_vector<float>(),
            (std::vector<float>{1 + 3 * 4, 2 + 3 * 8}));
  EXPECT_THROW(models::classifier_free_guidance(from_vector<float>({1, 2, 3}), 2.0), Error);
}

// A tiny UNet whose zero-initialised convolutions get small random values, so that it is not
// the zero function.
std::unique_ptr<models::UNet2DModel> random_unet(std::uint64_t seed) {
  Generator gen(seed);
  auto unet = std::make_unique<models::UNet2DModel>(test_formula::tiny_unet_config(), gen);
  autograd::NoGradGuard no_grad;
  for (auto& [name, p] : unet->named_parameters())
    if (max(abs(p)).item() == 0.0) normal_(p, 0.0, 0.05, gen);
  return unet;
}

struct InpaintFixture {
  Tensor image, mask;
  InpaintFixture() {
    Generator gen(21);
    image = clamp(randn({2, 3, 16, 16}, gen), -1.0, 1.0);
    std::vector<float> m(2 * 16 * 16, 0.0f);
    for (int y = 4; y < 12; ++y)
      for (int x = 3; x < 10; ++x)
        m[static_cast<std::size_t>(y * 16 + x)] = m[256 + y * 16 + x + 2] = 1;
    mask = from_vector(m, {2, 1, 16, 16});
  }
};

TEST(Inpaint, GuidedBatchEqualsSeparateForwards) {
  auto unet = random_unet(5);
  unet->eval();
  autograd::NoGradGuard no_grad;
  Generator gen(6);
  const Tensor x = randn({2, 7, 16, 16}, gen);
  const Tensor t = from_vector<std::int64_t>({400, 400});
  const Tensor cond = unet->class_embedding(from_vector<std::int64_t>({0, 2}));
  const Tensor null = unet->class_embedding(from_vector<std::int64_t>({3, 3}));
  const Tensor batched =
      unet->forward_embedded(cat({x, x}, 0), cat({t, t}, 0), cat({null, cond}, 0));
  const Tensor eps_u = unet->forward_embedded(x, t, null),
               eps_c = unet->forward_embedded(x, t, cond);
  // Batch size changes the GEMM blocking: each half equals its own forward up to f32 rounding.
  const double scale = max(abs(eps_c)).item();
  EXPECT_LE(max_abs_diff(batched.narrow(0, 0, 2), eps_u), 1e-5 * scale);
  EXPECT_LE(max_abs_diff(batched.narrow(0, 2, 2), eps_c), 1e-5 * scale);
  const Tensor want = add(eps_u, mul(sub(eps_c, eps_u), 7.5));
  EXPECT_LE(max_abs_diff(models::classifier_free_guidance(cat({eps_u, eps_c}, 0), 7.5), want),
            1e-6 * scale);
  EXPECT_GT(max_abs_diff(eps_u, eps_c), 1e-4);  // the class matters
}

TEST(Inpaint, SameSeedSameSamplesAndKnownPixelsKept) {
  auto unet = random_unet(7);
  const InpaintFixture f;
  models::DDIMScheduler scheduler;
  const Tensor emb = unet->class_embedding(from_vector<std::int64_t>({1, 2}));
  const models::InpaintOptions options{
      .num_inference_steps = 4, .eta = 0.5, .guidance_scale = 3.0, .replace_known = true};
  const auto run = [&](std::uint64_t seed) {
    Generator gen(seed);
    return models::inpaint(*unet, scheduler, f.image, f.mask, emb, options, gen);
  };
  const Tensor a = run(11), b = run(11), c = run(12);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_GT(max_abs_diff(a, c), 1e-3);
  EXPECT_TRUE(unet->is_training());  // mode restored
  // Known pixels are the image's; the repainted ones differ from it.
  const Tensor keep = 1.0 - f.mask;
  EXPECT_EQ(max(abs(mul(sub(a, f.image), keep))).item(), 0.0);
  EXPECT_GT(max(abs(mul(sub(a, f.image), f.mask))).item(), 0.1);
  EXPECT_LE(max(abs(a)).item(), 1.0 + 1e-6);  // clipped x0 at the last step
}

TEST(Inpaint, BadArgumentsGiveClearErrors) {
  auto unet = random_unet(8);
  const InpaintFixture f;
  models::DDIMScheduler scheduler;
  const Tensor emb = unet->class_embedding(from_vector<std::int64_t>({1, 2}));
  Generator gen(1);
  EXPECT_THROW(
      models::inpaint(*unet, scheduler, f.image, f.mask, emb, {.num_inference_steps = 0}, gen),
      Error);
  EXPECT_THROW(
      models::inpaint(*unet, scheduler, f.image, f.mask, emb, {.guidance_scale = -1.0}, gen),
      Error);
  EXPECT_THROW(models::inpaint(*unet, scheduler, f.image, f.mask.narrow(0, 0, 1), emb, {}, gen),
               Error);
  EXPECT_THROW(scheduler.set_timesteps(1001), Error);
  EXPECT_THROW(models::beta_schedule_from_name("quadratic"), Error);
  models::DDIMScheduler fresh;
  EXPECT_THROW(fresh.step_with_noise(f.image, 0, f.image, 0.0, {}), Error);  // no set_timesteps
}

TEST(Inpaint, MinSnrWeightsFollowTheSignalToNoiseRatio) {
  models::DDIMSchedulerConfig config;
  models::DDIMScheduler eps_scheduler(config);
  config.prediction_type = PredictionType::v_prediction;
  models::DDIMScheduler v_scheduler(config);
  const Tensor t = from_vector<std::int64_t>({0, 100, 500, 900, 999});
  const std::vector<float> w_eps =
      models::min_snr_weights(eps_scheduler, t, 5.0).to_vector<float>();
  const std::vector<float> w_v = models::min_snr_weights(v_scheduler, t, 5.0).to_vector<float>();
  const auto ts = t.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const double a = eps_scheduler.alphas_cumprod()[static_cast<std::size_t>(ts[i])];
    const double snr = a / (1 - a);
    EXPECT_NEAR(w_eps[i], std::min(snr, 5.0) / snr, 1e-6) << "t " << ts[i];
    EXPECT_NEAR(w_v[i], std::min(snr, 5.0) / (snr + 1), 1e-6) << "t " << ts[i];
  }
  EXPECT_FLOAT_EQ(w_eps[3], 1.0f);  // low SNR: eps keeps its weight, v's falls with the SNR
  EXPECT_LT(w_v[4], 1e-6f);
  EXPECT_THROW(models::min_snr_weights(v_scheduler, t, 0.0), Error);
  // The weighted loss is the weighted mean of the per-sample MSEs.
  auto unet = random_unet(12);
  const InpaintFixture f;
  Generator gen(13);
  const Tensor t2 = from_vector<std::int64_t>({100, 900});
  const models::DiffusionLossInputs in{f.image, f.mask, from_vector<std::int64_t>({0, 1}), t2,
                                       randn(f.image.shape(), gen)};
  const double plain_first =
      models::diffusion_loss(
          *unet, v_scheduler,
          {f.image.narrow(0, 0, 1), f.mask.narrow(0, 0, 1), in.class_labels.narrow(0, 0, 1),
           t2.narrow(0, 0, 1), in.noise.narrow(0, 0, 1)},
          gen)
          .item();
  const double plain_second =
      models::diffusion_loss(
          *unet, v_scheduler,
          {f.image.narrow(0, 1, 1), f.mask.narrow(0, 1, 1), in.class_labels.narrow(0, 1, 1),
           t2.narrow(0, 1, 1), in.noise.narrow(0, 1, 1)},
          gen)
          .item();
  const std::vector<float> w = models::min_snr_weights(v_scheduler, t2, 5.0).to_vector<float>();
  EXPECT_NEAR(models::diffusion_loss(*unet, v_scheduler, in, gen, 5.0).item(),
              (w[0] * plain_first + w[1] * plain_second) / 2, 1e-5 * plain_first);
}

TEST(Inpaint, FewAdamWStepsOverfitTwoSamples) {
  Generator gen(31);
  models::UNet2DModel unet(test_formula::tiny_unet_config(), gen);
  const models::DDIMScheduler scheduler;
  const InpaintFixture f;
  // 2 images x 4 (timestep, noise) pairs, fixed: the loss on this batch must fall clearly.
  const Tensor image = cat({f.image, f.image, f.image, f.image}, 0);  // [8, 3, 16, 16]
  const Tensor mask = cat({f.mask, f.mask, f.mask, f.mask}, 0);
  const models::DiffusionLossInputs batch{
      .image = image,
      .mask = mask,
      .class_labels = from_vector<std::int64_t>({0, 2, 0, 2, 0, 2, 0, 2}),
      .timesteps = from_vector<std::int64_t>({50, 50, 300, 300, 600, 600, 900, 900}),
      .noise = randn(image.shape(), gen)};
  optim::AdamW opt(unet.parameters(), {.lr = 3e-3, .weight_decay = 0.0});
  const auto start = std::chrono::steady_clock::now();
  double first = 0, last = 0;
  for (int step = 0; step < 40; ++step) {
    opt.zero_grad();
    const Tensor loss = models::diffusion_loss(unet, scheduler, batch, gen);
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NEAR(first, 1.0, 0.2);  // zero output conv: the first prediction is 0, loss = E[eps^2]
  EXPECT_LT(last, 0.1 * first) << "first " << first << " last " << last;
  RecordProperty("seconds", std::to_string(seconds));
  RecordProperty("loss_first", std::to_string(first));
  RecordProperty("loss_last", std::to_string(last));
}

}  // namespace
