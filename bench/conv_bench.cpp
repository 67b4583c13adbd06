// conv2d forward+backward on the ResNet-50 layer shapes at 512 px, batch 2 (f32, CPU), and each
// pass alone; the PyTorch side is bench/torch_conv_bench.py (bench/conv_vs_torch.py runs both).
#include <benchmark/benchmark.h>

#include "engine/functional.h"
#include "engine/ops.h"
#include "kernels/cpu/conv.h"

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
  const auto step = [&] {
    Tensor y = conv2d(x, w, {}, {s.stride, s.stride}, {s.k / 2, s.k / 2});
    y.backward(ones_like(y));
    x.zero_grad();
    w.zero_grad();
  };
  step();  // warm-up: the first pass page-faults its fresh buffers in
  for (auto _ : state) step();
}

// One pass of the CPU kernel: 0 forward, 1 input gradient, 2 weight (+ bias) gradient.
void BM_Conv2dPass(benchmark::State& state) {
  const ConvShape& s = kShapes[state.range(0)];
  const char* passes[] = {"forward", "grad_input", "grad_weight"};
  state.SetLabel(std::string(s.name) + " " + passes[state.range(1)]);
  const std::int64_t pad = s.k / 2, out = (s.h + 2 * pad - s.k) / s.stride + 1;
  const kernels::cpu::Conv2dGeometry g{2,        s.c,      s.h, s.h, s.o, s.k, s.k, 1,
                                       s.stride, s.stride, pad, pad, 1,   1,   out, out};
  Generator gen(0);
  const Tensor x = randn({2, s.c, s.h, s.h}, gen), w = mul(randn({s.o, s.c, s.k, s.k}, gen), 0.05);
  const Tensor y = empty({2, s.o, out, out}), grad_y = randn({2, s.o, out, out}, gen);
  const Tensor gx = empty_like(x), gw = empty_like(w), gb = empty({s.o});
  const auto step = [&] {
    if (state.range(1) == 0) kernels::cpu::conv2d_forward(x, w, Tensor(), g, y);
    if (state.range(1) == 1) kernels::cpu::conv2d_backward(grad_y, x, w, g, gx, Tensor(), Tensor());
    if (state.range(1) == 2) kernels::cpu::conv2d_backward(grad_y, x, w, g, Tensor(), gw, gb);
  };
  step();  // warm-up
  for (auto _ : state) step();
}

}  // namespace

BENCHMARK(BM_Conv2dForwardBackward)->DenseRange(0, 8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2dPass)
    ->ArgsProduct({benchmark::CreateDenseRange(0, 8, 1), {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
