// What emulation costs per CUDA thread: a block that only starts and ends, and a barrier round
// (every thread switches to the scheduler and back). Informational: emulation is never a goal.
#include <benchmark/benchmark.h>

#include "kernels/cuda/launch.cuh"

namespace {

__global__ void empty_kernel() {}

__global__ void barrier_kernel(int rounds) {
  for (int r = 0; r < rounds; ++r) __syncthreads();
}

// Per thread: create its fiber, run it to the end.
void BM_EmulatedThreadStartEnd(benchmark::State& state) {
  const unsigned blocks = 64, threads = 256;
  for (auto _ : state) kernels::cuda::launch(empty_kernel, dim3(blocks), dim3(threads), 0, nullptr);
  state.counters["ns_per_thread"] = benchmark::Counter(static_cast<double>(state.iterations()) * blocks * threads,
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EmulatedThreadStartEnd)->UseRealTime();

// Per thread and barrier: two switches plus the scheduler's bookkeeping.
void BM_EmulatedBarrier(benchmark::State& state) {
  const unsigned threads = static_cast<unsigned>(state.range(0));
  const int rounds = 64;
  for (auto _ : state) kernels::cuda::launch(barrier_kernel, dim3(1), dim3(threads), 0, nullptr, rounds);
  state.counters["ns_per_thread_barrier"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * threads * rounds, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EmulatedBarrier)->Arg(256)->Arg(1024)->UseRealTime();

}  // namespace
