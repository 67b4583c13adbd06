// Faster R-CNN R50-FPN (torchvision defaults, 21 classes, random init) on the CPU: one training
// forward+backward on 2 images at 512x512, and inference on 1 image; bench/torchvision_detector.py
// runs the same with torchvision and this binary side by side.
#include <benchmark/benchmark.h>

#include "engine/ops.h"
#include "models/faster_rcnn.h"

using namespace engine;

namespace {

constexpr std::int64_t kSize = 512;

// torchvision's fasterrcnn_resnet50_fpn: no OOD head, so that both sides do the same work.
models::FasterRcnnConfig config() {
  models::FasterRcnnConfig c;
  c.roi_heads.num_classes = 21;
  c.roi_heads.ood_head = false;
  return c;
}

struct R50Fpn {
  Generator gen{1};
  models::FasterRcnn model{config()};
  std::vector<std::array<std::int64_t, 2>> sizes;
  std::vector<models::DetectionTargets> targets;
  Tensor images;
  explicit R50Fpn(std::int64_t batch) : images(randn({batch, 3, kSize, kSize}, gen)) {
    for (std::int64_t n = 0; n < batch; ++n) {
      sizes.push_back({kSize, kSize});
      // Three boxes per image, as bench/torchvision_detector.py.
      targets.push_back(
          {from_vector<float>({40, 60, 200, 220, 250, 100, 480, 330, 100, 300, 260, 500}, {3, 4}),
           from_vector<std::int64_t>({3, 7, 15}),
           {}});
    }
  }
};

void BM_R50FpnTrainStep(benchmark::State& state) {
  R50Fpn d(2);
  d.model.train();
  auto step = [&] {
    d.model.zero_grad();
    d.model.losses(d.images, d.sizes, d.targets, d.gen).total().backward();
  };
  step();  // warm-up: fills the allocator's cache
  for (auto _ : state) step();
  state.counters["images/s"] =
      benchmark::Counter(2.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_R50FpnTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_R50FpnInference(benchmark::State& state) {
  R50Fpn d(1);
  d.model.eval();
  d.model.detect(d.images, d.sizes);  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(d.model.detect(d.images, d.sizes));
  state.counters["images/s"] =
      benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_R50FpnInference)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
