// Engine core microbenchmarks, each beside its reference in the same run: matmul vs a direct
// cblas_sgemm, elementwise add vs a 2-thread memcpy, and autograd overhead per tiny op.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <cstring>

#include "engine/ops.h"
#include "engine/random.h"

using namespace engine;

namespace {

// ---- matmul 1024^3 f32: engine mm vs cblas_sgemm on the same buffers
constexpr std::int64_t kN = 1024;

void BM_MatmulEngine(benchmark::State& state) {
  Generator gen(1);
  const Tensor a = randn({kN, kN}, gen), b = randn({kN, kN}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(mm(a, b).raw_data());
  state.counters["GFLOP/s"] =
      benchmark::Counter(2e-9 * kN * kN * kN, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatmulCblas(benchmark::State& state) {
  Generator gen(1);
  const Tensor a = randn({kN, kN}, gen), b = randn({kN, kN}, gen);
  Tensor c = empty({kN, kN});
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data_ptr<float>(),
                kN, b.data_ptr<float>(), kN, 0.0f, c.data_ptr<float>(), kN);
    benchmark::DoNotOptimize(c.raw_data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2e-9 * kN * kN * kN, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- elementwise add of 16M floats vs memcpy of the same bytes, both on 2 threads
constexpr std::int64_t kElements = 16 << 20;

void BM_AddEngine(benchmark::State& state) {
  Generator gen(2);
  const Tensor a = rand({kElements}, gen), b = rand({kElements}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b).raw_data());
  // Bytes moved: read a and b, write the result.
  state.counters["GB/s"] =
      benchmark::Counter(3e-9 * kElements * 4, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MemcpyTwoThreads(benchmark::State& state) {
  std::vector<float> src(kElements, 1.0f), dst(kElements, 0.0f);
  for (auto _ : state) {
#pragma omp parallel num_threads(2)
    {
      const std::int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
      const std::int64_t begin = kElements * t / n, end = kElements * (t + 1) / n;
      std::memcpy(dst.data() + begin, src.data() + begin, (end - begin) * sizeof(float));
    }
    benchmark::DoNotOptimize(dst.data());
  }
  // Bytes moved: read src, write dst.
  state.counters["GB/s"] =
      benchmark::Counter(2e-9 * kElements * 4, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- autograd overhead: 1000 tiny ops forward + backward
constexpr int kChain = 1000;

void BM_AutogradChain(benchmark::State& state) {
  const Tensor x = ones({4}).requires_grad_();
  const Tensor w = full({4}, 1.0001);
  for (auto _ : state) {
    Tensor y = x;
    for (int i = 0; i < kChain; ++i) y = mul(y, w);
    sum(y).backward();
    x.zero_grad();
  }
  state.counters["us/op"] = benchmark::Counter(
      static_cast<double>(kChain) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_MatmulEngine)->Unit(benchmark::kMillisecond)->UseRealTime()->MinWarmUpTime(0.5);
BENCHMARK(BM_MatmulCblas)->Unit(benchmark::kMillisecond)->UseRealTime()->MinWarmUpTime(0.5);
BENCHMARK(BM_AddEngine)->Unit(benchmark::kMillisecond)->UseRealTime()->MinWarmUpTime(0.5);
BENCHMARK(BM_MemcpyTwoThreads)->Unit(benchmark::kMillisecond)->UseRealTime()->MinWarmUpTime(0.5);
BENCHMARK(BM_AutogradChain)->Unit(benchmark::kMillisecond)->UseRealTime()->MinWarmUpTime(0.5);

BENCHMARK_MAIN();
