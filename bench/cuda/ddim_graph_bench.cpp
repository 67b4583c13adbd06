// Guided DDIM inpainting with the gpu-base UNet (64 px, ~52M parameters) on the GPU: ms per step
// of the eager sampling loop against the same loop replayed as one CUDA graph
// (models/inpaint_graph.h), for the outliers stage's batch of 1 crop and for 8; the graph's result
// is first checked bit for bit against the eager one. Times are CUDA-event medians of whole loops /
// steps. No GPU: skip.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "models/inpaint_graph.h"

using namespace engine;
using cuda_backend::CudaEvent;

namespace {

constexpr int kSteps = 25;        // the outliers stage's --ddim-steps default
constexpr double kGuidance = 12;  // its --guidance default

models::UNet2DModel& gpu_base() {
  static std::unique_ptr<models::UNet2DModel> unet = [] {
    Generator gen(0);
    models::UNetConfig config = models::UNetConfig::preset("gpu-base");
    config.num_classes = 20;
    auto u = std::make_unique<models::UNet2DModel>(config, gen);
    u->to(Device::cuda());
    return u;
  }();
  return *unet;
}

struct Batch {
  Tensor image, mask, emb;
};
Batch make_batch(std::int64_t n) {
  models::UNet2DModel& unet = gpu_base();
  const std::int64_t size = unet.config().sample_size;
  Generator gen(1);
  const TensorOptions cuda{.device = Device::cuda()};
  Tensor mask = zeros({n, 1, size, size}, cuda);
  mask.narrow(2, size / 4, size / 2).narrow(3, size / 4, size / 2).fill_(1.0);
  const Tensor labels = full({n}, 3.0, {.dtype = DType::i64, .device = Device::cuda()});
  return {add(mul(rand({n, 3, size, size}, gen, cuda), 2.0), -1.0), mask,
          unet.class_embedding(labels)};
}

// Median ms of one whole loop over `runs` event-timed runs (after one untimed run).
double median_loop_ms(const std::function<void()>& loop, int runs) {
  loop();
  std::vector<double> times;
  CudaEvent start, end;
  for (int i = 0; i < runs; ++i) {
    start.record();
    loop();
    end.record();
    times.push_back(CudaEvent::elapsed_ms(start, end));
  }
  std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
  return times[static_cast<std::size_t>(runs / 2)];
}

void guided_ddim(benchmark::State& state, bool graph) {
  const Batch b = make_batch(state.range(0));
  const models::InpaintOptions options{.num_inference_steps = kSteps, .guidance_scale = kGuidance};
  models::InpaintSampler sampler(gpu_base(), {}, options, graph);
  Generator gen(2);
  const auto loop = [&] { benchmark::DoNotOptimize(sampler.sample(b.image, b.mask, b.emb, gen)); };
  for (auto _ : state) {
    const double ms = median_loop_ms(loop, 10);
    state.SetIterationTime(ms / 1000.0);
    state.counters["ms_per_step"] = ms / kSteps;
  }
  state.counters["batch"] = static_cast<double>(state.range(0));
}

void BM_GuidedDDIMEager(benchmark::State& state) {
  guided_ddim(state, false);
}
void BM_GuidedDDIMGraph(benchmark::State& state) {
  guided_ddim(state, true);
}
BENCHMARK(BM_GuidedDDIMEager)
    ->Arg(1)
    ->Arg(8)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GuidedDDIMGraph)
    ->Arg(1)
    ->Arg(8)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// The graph's samples must be the eager loop's, bit for bit (3 steps to keep it short).
bool graph_matches_eager() {
  const Batch b = make_batch(2);
  const models::InpaintOptions options{.num_inference_steps = 3, .guidance_scale = kGuidance};
  std::vector<std::vector<float>> results;
  for (const bool graph : {false, true}) {
    models::InpaintSampler sampler(gpu_base(), {}, options, graph);
    Generator gen(7);
    results.push_back(sampler.sample(b.image, b.mask, b.emb, gen).cpu().to_vector<float>());
  }
  return results[0] == results[1];
}

}  // namespace

int main(int argc, char** argv) {
  if (!cuda_backend::available()) {
    std::printf("ddim_graph_bench: skipped, %s\n", cuda_backend::description().c_str());
    return 0;
  }
  std::printf("ddim_graph_bench on %s: gpu-base UNet, %d steps, guidance %g\n",
              cuda_backend::description().c_str(), kSteps, kGuidance);
  if (!graph_matches_eager()) {
    std::printf("ddim_graph_bench: the CUDA graph's samples differ from the eager loop's\n");
    return 1;
  }
  std::printf("the CUDA graph's samples equal the eager loop's bit for bit\n");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
