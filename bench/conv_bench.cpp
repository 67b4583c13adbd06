// conv2d forward+backward on the ResNet-50 layer shapes at 512 px, batch 2 (f32, CPU); the
// PyTorch side of the comparison is bench/torch_conv_bench.py with the same shapes and threads.
#include <benchmark/benchmark.h>

#include "engine/functional.h"
#include "engine/ops.h"

using namespace engine;

namespace {

struct ConvShape {
  const char* name;
  std::int64_t c, h, o, k, stride;
};

// One representative conv of each ResNet-50 stage at a 512x512 input (stem, bottleneck 1x1/3x3).
constexpr ConvShape kShapes[] = {
    {"stem_7x7_s2", 3, 512, 64, 7, 2},      {"layer1_1x1", 64, 128, 64, 1, 1},
    {"layer1_3x3", 64, 128, 64, 3, 1},      {"layer2_3x3_s2", 128, 128, 128, 3, 2},
    {"layer2_3x3", 128, 64, 128, 3, 1},     {"layer3_1x1", 1024, 32, 256, 1, 1},
    {"layer3_3x3", 256, 32, 256, 3, 1},     {"layer4_3x3", 512, 16, 512, 3, 1},
    {"layer4_1x1_up", 512, 16, 2048, 1, 1},
};

void BM_Conv2dForwardBackward(benchmark::State& state) {
  const ConvShape& s = kShapes[state.range(0)];
  state.SetLabel(s.name);
  Generator gen(0);
  const Tensor x = randn({2, s.c, s.h, s.h}, gen).requires_grad_();
  const Tensor w = mul(randn({s.o, s.c, s.k, s.k}, gen), 0.05).detach().requires_grad_();
  for (auto _ : state) {
    Tensor y = conv2d(x, w, {}, {s.stride, s.stride}, {s.k / 2, s.k / 2});
    y.backward(ones_like(y));
    x.zero_grad();
    w.zero_grad();
  }
}

}  // namespace

BENCHMARK(BM_Conv2dForwardBackward)->DenseRange(0, 8)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
