// Detection op microbenchmarks on detector-sized inputs (batch 2 at 512 px, FPN P2-P5, 256
// channels, 1000-10000 boxes); bench/torchvision_detection_ops.py times torchvision on them.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "engine/detection_ops.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "kernels/cpu/roi_align.h"

using namespace engine;

namespace {

constexpr std::int64_t kBatch = 2, kChannels = 256, kImage = 512;

// Boxes from a fixed formula (the Python script uses the same one): spread over the image,
// sides 8-307 px, image index alternating. Returns rois [n, 5].
Tensor make_rois(std::int64_t n) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < n; ++i) {
    const double cx = static_cast<double>((i * 7919) % kImage) + 0.5;
    const double cy = static_cast<double>((i * 104729) % kImage) + 0.25;
    const double w = static_cast<double>(8 + (i * 31) % 300),
                 h = static_cast<double>(8 + (i * 17) % 300);
    for (double c :
         {static_cast<double>(i % kBatch), cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2})
      v.push_back(static_cast<float>(c));
  }
  return from_vector<float>(v, {n, 5});
}

Tensor make_scores(std::int64_t n) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < n; ++i)
    v.push_back(static_cast<float>(static_cast<double>((i * 2654435761LL) % 1000003) / 1000003.0));
  return from_vector<float>(v, {n});
}

// FPN level l (0 = P2, stride 4) of a batch-2, 512 px input.
Tensor feature(int level) {
  Generator gen(static_cast<std::uint64_t>(10 + level));
  const std::int64_t side = kImage / (4 << level);
  return randn({kBatch, kChannels, side, side}, gen);
}

void BM_RoiAlignForwardP2(benchmark::State& state) {
  const Tensor x = feature(0), rois = make_rois(state.range(0));
  for (auto _ : state)
    benchmark::DoNotOptimize(roi_align(x, rois, {7, 7}, 0.25, 2, false).raw_data());
  state.counters["boxes/s"] = benchmark::Counter(static_cast<double>(state.range(0)),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_RoiAlignBackwardP2(benchmark::State& state) {
  const Tensor x = feature(0), rois = make_rois(state.range(0));
  Generator gen(3);
  const Tensor grad = randn({state.range(0), kChannels, 7, 7}, gen);
  const kernels::cpu::RoiAlignParams params{7, 7, 0.25, 2, false};
  for (auto _ : state) {
    Tensor gx = zeros(x.shape());  // torchvision's backward allocates a zeroed gradient too
    kernels::cpu::roi_align_backward(grad, rois, params, gx);
    benchmark::DoNotOptimize(gx.raw_data());
  }
}

void BM_MultiScaleRoiAlign(benchmark::State& state) {
  const std::vector<Tensor> features{feature(0), feature(1), feature(2), feature(3)};
  const Tensor rois = make_rois(state.range(0));
  for (auto _ : state)
    benchmark::DoNotOptimize(
        multi_scale_roi_align(features, rois, {0.25, 0.125, 0.0625, 0.03125}, {7, 7}, 2)
            .raw_data());
}

void BM_Nms(benchmark::State& state) {
  const Tensor boxes = make_rois(state.range(0)).narrow(1, 1, 4).contiguous();
  const Tensor scores = make_scores(state.range(0));
  std::int64_t kept = 0;
  for (auto _ : state) kept = nms(boxes, scores, 0.7).numel();
  state.counters["kept"] = static_cast<double>(kept);
}

void BM_BatchedNms5Levels(benchmark::State& state) {
  const Tensor boxes = make_rois(state.range(0)).narrow(1, 1, 4).contiguous();
  const Tensor scores = make_scores(state.range(0));
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < state.range(0); ++i) ids.push_back(i % 5);
  const Tensor levels = from_vector(ids);
  std::int64_t kept = 0;
  for (auto _ : state) kept = batched_nms(boxes, scores, levels, 0.7).numel();
  state.counters["kept"] = static_cast<double>(kept);
}

// RPN decode: 4 codes per anchor for ~120k anchors (512 px, 5 levels, 3 ratios).
void BM_DecodeBoxes(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const Tensor anchors = make_rois(n).narrow(1, 1, 4).contiguous();
  Generator gen(4);
  const Tensor codes = mul(randn({n, 4}, gen), 0.5);
  for (auto _ : state)
    benchmark::DoNotOptimize(decode_boxes(codes, anchors, {1, 1, 1, 1}).raw_data());
}

}  // namespace

BENCHMARK(BM_RoiAlignForwardP2)->Arg(1000)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RoiAlignBackwardP2)
    ->Arg(1000)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MultiScaleRoiAlign)
    ->Arg(1000)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Nms)->Arg(1000)->Arg(2000)->Arg(4000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BatchedNms5Levels)
    ->Arg(2000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_DecodeBoxes)->Arg(120000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
