// The guided DDIM inpainting loop as one CUDA graph (kernels in the SIMT emulator): replays give
// the eager loop's results bit for bit, on new inputs too, and a new batch shape recaptures;
// configurations and models a graph cannot hold are refused with the reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "models/inpaint_graph.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/models/formula_weights.h"

using namespace engine;

namespace {

constexpr std::int64_t kSize = 16;

std::shared_ptr<models::UNet2DModel> tiny_unet_on_cuda() {
  Generator gen(3);
  auto unet = std::make_shared<models::UNet2DModel>(test_formula::tiny_unet_config(kSize), gen);
  test_formula::load_diffusion_formula(*unet);
  unet->to(Device::cuda());
  return unet;
}

// A batch of n crops: a random image in [-1, 1], a box mask per crop, class embeddings of the
// labels plus noise (Dream-Box's modified embeddings), all on cuda.
struct Batch {
  Tensor image, mask, emb;
};
Batch make_batch(models::UNet2DModel& unet, std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  const Tensor image = add(mul(rand({n, 3, kSize, kSize}, gen), 2.0), -1.0);
  std::vector<float> mask(static_cast<std::size_t>(n * kSize * kSize), 0.0f);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t y = 3 + i; y < 11 + i; ++y)
      for (std::int64_t x = 4; x < 12 - i; ++x)
        mask[static_cast<std::size_t>((i * kSize + y) * kSize + x)] = 1;
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < n; ++i) labels.push_back((static_cast<std::int64_t>(seed) + i) % 3);
  const Tensor emb = unet.class_embedding(from_vector(labels, {n}).cuda());  // [n, E]
  return {image.cuda(), from_vector(mask, {n, 1, kSize, kSize}).cuda(),
          add(emb, mul(randn(emb.shape(), gen).cuda(), 0.5))};
}

std::vector<float> values_of(const Tensor& t) {
  return t.cpu().contiguous().to_vector<float>();
}

Tensor eager(models::UNet2DModel& unet,
             const models::DDIMSchedulerConfig& config,
             const Batch& b,
             const models::InpaintOptions& options,
             std::uint64_t seed) {
  models::DDIMScheduler scheduler(config);
  Generator gen(seed);
  return models::inpaint(unet, scheduler, b.image, b.mask, b.emb, options, gen);
}

}  // namespace

// Guided, deterministic (eta 0) and stochastic (eta > 0, the re-noised known region, v
// prediction): the step noise is drawn from the generator in the eager order and copied in.
TEST(InpaintGraph, ReplayEqualsTheEagerLoopBitForBit) {
  SKIP_WITHOUT_CUDA_BACKEND();
  auto unet = tiny_unet_on_cuda();
  models::DDIMSchedulerConfig v_prediction;
  v_prediction.prediction_type = models::PredictionType::v_prediction;
  struct Case {
    const char* name;
    models::DDIMSchedulerConfig config;
    models::InpaintOptions options;
  };
  const std::vector<Case> cases{
      {"guided eta 0", {}, {.num_inference_steps = 3, .guidance_scale = 3.0}},
      {"eta 0.5, replace_known, v",
       v_prediction,
       {.num_inference_steps = 3, .eta = 0.5, .guidance_scale = 2.0, .replace_known = true}},
  };
  for (const Case& c : cases) {
    models::InpaintSampler sampler(*unet, c.config, c.options, true);
    const Batch first = make_batch(*unet, 2, 5), second = make_batch(*unet, 2, 6);
    Generator gen(11);
    const Tensor a = sampler.sample(first.image, first.mask, first.emb, gen);
    EXPECT_EQ(values_of(a), values_of(eager(*unet, c.config, first, c.options, 11))) << c.name;
    // The same generator goes on: the second batch's draws continue where the first's ended.
    const Tensor b = sampler.sample(second.image, second.mask, second.emb, gen);
    Generator replay_gen(11);
    models::DDIMScheduler scheduler(c.config);
    (void)models::inpaint(*unet, scheduler, first.image, first.mask, first.emb, c.options,
                          replay_gen);
    const Tensor want_b = models::inpaint(*unet, scheduler, second.image, second.mask, second.emb,
                                          c.options, replay_gen);
    EXPECT_EQ(values_of(b), values_of(want_b)) << c.name << ": a replay on new inputs";
    EXPECT_EQ(sampler.captures(), 1u) << c.name;
    EXPECT_NE(values_of(a), values_of(b)) << c.name;  // the inputs matter
    EXPECT_TRUE(unet->is_training()) << c.name << ": the UNet's mode is restored";
  }
}

TEST(InpaintGraph, ANewBatchShapeRecaptures) {
  SKIP_WITHOUT_CUDA_BACKEND();
  auto unet = tiny_unet_on_cuda();
  const models::InpaintOptions options{.num_inference_steps = 2, .guidance_scale = 4.0};
  models::InpaintSampler sampler(*unet, {}, options, true);
  const Batch two = make_batch(*unet, 2, 7), one = make_batch(*unet, 1, 8);
  Generator gen(1);
  (void)sampler.sample(two.image, two.mask, two.emb, gen);
  const std::size_t pool_with_two = cuda_backend::memory_stats().pool_bytes;
  Generator gen1(2);
  EXPECT_EQ(values_of(sampler.sample(one.image, one.mask, one.emb, gen1)),
            values_of(eager(*unet, {}, one, options, 2)));
  EXPECT_EQ(sampler.captures(), 2u);
  EXPECT_LT(cuda_backend::memory_stats().pool_bytes, pool_with_two)
      << "the first graph's pool went back before the second capture";
}

TEST(InpaintGraph, RefusesWhatAGraphCannotHold) {
  SKIP_WITHOUT_CUDA_BACKEND();
  auto unet = tiny_unet_on_cuda();
  models::DDIMSchedulerConfig thresholding;
  thresholding.thresholding = true;
  EXPECT_NE(cuda_test::error_of([&] {
              models::InpaintSampler(*unet, thresholding, {}, true);
            }).find("dynamic thresholding takes its per-sample quantiles on the host"),
            std::string::npos);
  Generator gen(4);
  models::UNet2DModel on_cpu(test_formula::tiny_unet_config(kSize), gen);
  EXPECT_NE(cuda_test::error_of([&] {
              models::InpaintSampler(on_cpu, {}, {}, true);
            }).find("need a cuda device"),
            std::string::npos);
  // A model that reads a value back in its forward: the capture names the op and is abandoned.
  const Batch b = make_batch(*unet, 1, 9);
  const models::NoisePredictor reads_back = [&](const Tensor& input, const Tensor& t,
                                                const Tensor& emb) {
    const double scale = max(abs(input)).item();
    return mul(unet->forward_embedded(input, t, emb), scale);
  };
  models::DDIMScheduler scheduler;
  EXPECT_NE(cuda_test::error_of([&] {
              models::InpaintGraph(reads_back, Tensor(), scheduler, b.image, b.mask, b.emb,
                                   {.num_inference_steps = 2});
            }).find("reading cuda data back to the host (.item()"),
            std::string::npos);
  EXPECT_FALSE(cuda_backend::is_capturing());
  EXPECT_EQ(values_of(models::inpaint(reads_back, Tensor(), scheduler, b.image, b.mask, b.emb,
                                      {.num_inference_steps = 1}, gen))
                .size(),
            static_cast<std::size_t>(3 * kSize * kSize));  // eager still works
}
