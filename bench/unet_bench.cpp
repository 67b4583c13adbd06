// Diffusion UNet (cpu-demo preset) on the CPU: forward, forward+backward and one guided DDIM
// step for 8 samples at 32 px. PyTorch 1.13 on this machine (DESIGN.md): ~79 samples/s training,
// ~34 ms per guided DDIM step for 8 samples on a 0.85M-parameter UNet.
#include <benchmark/benchmark.h>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/ddim.h"
#include "models/unet.h"

using namespace engine;

namespace {

constexpr std::int64_t kBatch = 8;
// kWarmUp: every benchmark runs its body once before timing. The first pass touches fresh memory
// (page faults, ~3-4x the steady-state time), and a 1-iteration Google Benchmark run would
// otherwise report exactly that pass.

struct Demo {
  Generator gen{1};
  models::UNet2DModel unet{models::UNetConfig::preset("cpu-demo"), gen};
  Tensor x = randn({kBatch, 7, 32, 32}, gen);
  Tensor t = full({kBatch}, 500.0, {.dtype = DType::i64});
  Tensor labels = full({kBatch}, 3.0, {.dtype = DType::i64});
};

void BM_UNetForward(benchmark::State& state) {
  Demo d;
  d.unet.eval();
  autograd::NoGradGuard no_grad;
  d.unet.forward(d.x, d.t, d.labels);  // warm-up (see kWarmUp)
  for (auto _ : state) benchmark::DoNotOptimize(d.unet.forward(d.x, d.t, d.labels));
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(kBatch),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_UNetForward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_UNetForwardBackward(benchmark::State& state) {
  Demo d;
  const auto step = [&d] {
    d.unet.zero_grad();
    const Tensor loss = mean(square(d.unet.forward(d.x, d.t, d.labels)));
    loss.backward();
  };
  step();  // warm-up (see kWarmUp)
  for (auto _ : state) step();
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(kBatch),
                                                   benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_UNetForwardBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

// One classifier-free-guided DDIM step: a 2x8 batch through the UNet, guidance, the update.
void BM_GuidedDDIMStep(benchmark::State& state) {
  Demo d;
  d.unet.eval();
  autograd::NoGradGuard no_grad;
  models::DDIMScheduler scheduler;
  scheduler.set_timesteps(25);
  const Tensor x2 = cat({d.x, d.x}, 0), t2 = cat({d.t, d.t}, 0);
  const Tensor labels2 = cat({full({kBatch}, 20.0, {.dtype = DType::i64}), d.labels}, 0);
  const Tensor sample = d.x.narrow(1, 0, 3);
  const auto step = [&] {
    const Tensor eps = models::classifier_free_guidance(d.unet.forward(x2, t2, labels2), 7.5);
    benchmark::DoNotOptimize(scheduler.step(eps, 3, sample, 0.0, d.gen).prev_sample);
  };
  step();  // warm-up (see kWarmUp)
  for (auto _ : state) step();
}
BENCHMARK(BM_GuidedDDIMStep)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
