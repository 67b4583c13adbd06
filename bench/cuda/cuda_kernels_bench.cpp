// GPU kernel lab: elementwise add against cudaMemcpy device-to-device bandwidth, row reductions
// against the same copy bandwidth, the own tiled SGEMM against cuBLAS at 4096^3. Every variant
// is first checked against the CPU reference; then each is timed with CUDA events after a
// warm-up, and the median of many runs is reported beside its goal. No GPU: skip, exit 0.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "kernels/cuda/binary.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/row_reduce.h"

using namespace engine;
using engine::cuda_backend::CudaEvent;

namespace {

constexpr int kWarmupRuns = 5;

// Median milliseconds of one run of `work` (queued on the backend's stream), over `runs` runs.
double median_ms(const std::function<void()>& work, int runs) {
  for (int i = 0; i < kWarmupRuns; ++i) work();
  std::vector<double> times;
  CudaEvent start, end;
  for (int i = 0; i < runs; ++i) {
    start.record();
    work();
    end.record();
    times.push_back(CudaEvent::elapsed_ms(start, end));
  }
  std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
  return times[static_cast<std::size_t>(runs / 2)];
}

// The medians each benchmark measured, for the summary against the goals.
std::map<std::string, double>& figures() {
  static std::map<std::string, double> instance;
  return instance;
}

// Times `work` once per benchmark iteration (manual time = the median of `runs` event-timed runs)
// and reports bytes moved per second; stores GB/s (or GFLOP/s when flops > 0) under `name`.
void time_into(benchmark::State& state,
               const std::string& name,
               const std::function<void()>& work,
               double bytes,
               double flops,
               int runs) {
  double ms = 0;
  for (auto _ : state) {
    ms = median_ms(work, runs);
    state.SetIterationTime(ms / 1e3);
  }
  if (flops > 0) {
    state.counters["GFLOP/s"] = flops / (ms / 1e3) / 1e9;
    figures()[name] = flops / (ms / 1e3) / 1e9;
  } else {
    state.counters["GB/s"] = bytes / (ms / 1e3) / 1e9;
    figures()[name] = bytes / (ms / 1e3) / 1e9;
  }
}

float* ptr(const Tensor& t) {
  return static_cast<float*>(t.cuda_data());
}

Tensor random_on_device(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return add(rand(shape, gen), 0.5).cuda();  // in [0.5, 1.5): never zero
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("validation failed: " + what);
}

// ---- elementwise add vs copy: 64 Mi floats (256 MiB per array)

constexpr std::int64_t kElements = std::int64_t{1} << 26;

struct Streams {
  Tensor a = random_on_device({kElements}, 1), b = random_on_device({kElements}, 2);
  Tensor out = empty({kElements}, {.device = Device::cuda()});
};
Streams& streams() {
  static Streams s;
  return s;
}

void run_add() {
  kernels::cuda::binary_contiguous_f32(BinaryOp::add, ptr(streams().a), ptr(streams().b),
                                       ptr(streams().out), kElements, cuda_backend::stream());
}
void run_copy() {
  CUDA_CHECK(cudaMemcpyAsync(ptr(streams().out), ptr(streams().a), kElements * sizeof(float),
                             cudaMemcpyDeviceToDevice, cuda_backend::stream()));
}

void validate_add() {
  run_add();
  const Tensor want = add(streams().a.cpu(), streams().b.cpu());
  require(streams().out.cpu().to_vector<float>() == want.to_vector<float>(),
          "elementwise add differs from the CPU");
}

void BM_CopyDeviceToDevice(benchmark::State& state) {
  time_into(state, "copy", run_copy, 2.0 * kElements * sizeof(float), 0, 50);
}
void BM_ElementwiseAdd(benchmark::State& state) {
  time_into(state, "add", run_add, 3.0 * kElements * sizeof(float), 0, 50);
}

// ---- row sums: many short rows (a warp per row) and few long rows (a block per row)

struct Rows {
  std::int64_t rows, cols;
  Tensor x = random_on_device({rows, cols}, 3);
  Tensor out = empty({rows}, {.device = Device::cuda()});
};
Rows& rows_of(std::int64_t rows, std::int64_t cols) {
  static std::map<std::pair<std::int64_t, std::int64_t>, Rows> cache;
  auto it = cache.find({rows, cols});
  if (it == cache.end()) it = cache.emplace(std::pair{rows, cols}, Rows{rows, cols}).first;
  return it->second;
}

void run_row_sum(Rows& r) {
  kernels::cuda::reduce_rows_f32(ReduceOp::sum, ptr(r.x), ptr(r.out), r.rows, r.cols, 1,
                                 cuda_backend::stream());
}

void validate_row_sum(Rows& r) {
  run_row_sum(r);
  const auto got = r.out.cpu().to_vector<float>();
  const auto want = sum(r.x.cpu().to(DType::f64), {1}).to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i)
    require(std::abs(got[i] - want[i]) <= 1e-5 * std::abs(want[i]),
            "row sum " + std::to_string(i) + " of [" + std::to_string(r.rows) + ", " +
                std::to_string(r.cols) + "]");
}

void BM_RowSum(benchmark::State& state) {
  Rows& r = rows_of(state.range(0), state.range(1));
  time_into(
      state, "row sum " + std::to_string(r.rows) + "x" + std::to_string(r.cols),
      [&r] { run_row_sum(r); }, 4.0 * static_cast<double>(r.rows * r.cols), 0, 50);
}

// ---- SGEMM 4096^3: own tiled kernel vs cuBLAS

constexpr std::int64_t kGemm = 4096;

struct Gemm {
  Tensor a = random_on_device({kGemm, kGemm}, 4), b = random_on_device({kGemm, kGemm}, 5);
  Tensor c = empty({kGemm, kGemm}, {.device = Device::cuda()});
  cublasHandle_t handle = nullptr;
  Gemm() {
    if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) throw std::runtime_error("cublasCreate");
    cublasSetStream(handle, cuda_backend::stream());
  }
  ~Gemm() { cublasDestroy(handle); }
};
Gemm& gemm() {
  static Gemm g;
  return g;
}

void run_own_gemm() {
  Gemm& g = gemm();
  kernels::cuda::gemm_f32(kGemm, kGemm, kGemm, 1.0f, ptr(g.a), kGemm, false, ptr(g.b), kGemm, false,
                          0.0f, ptr(g.c), kGemm, cuda_backend::stream());
}
void run_cublas_gemm() {
  Gemm& g = gemm();
  const float one = 1.0f, zero = 0.0f;
  // Row-major C = A B is column-major C^T = B^T A^T.
  if (cublasSgemm(g.handle, CUBLAS_OP_N, CUBLAS_OP_N, kGemm, kGemm, kGemm, &one, ptr(g.b), kGemm,
                  ptr(g.a), kGemm, &zero, ptr(g.c), kGemm) != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error("cublasSgemm failed");
}

// Checks 2000 sampled elements of C against double dot products on the CPU.
void validate_gemm(const std::function<void()>& run, const std::string& name) {
  Gemm& g = gemm();
  CUDA_CHECK(
      cudaMemsetAsync(ptr(g.c), 0xff, kGemm * kGemm * sizeof(float), cuda_backend::stream()));
  run();
  const auto a = g.a.cpu().to_vector<float>(), b = g.b.cpu().to_vector<float>(),
             c = g.c.cpu().to_vector<float>();
  std::mt19937 pick(7);
  std::uniform_int_distribution<std::int64_t> index(0, kGemm - 1);
  for (int s = 0; s < 2000; ++s) {
    const std::int64_t i = index(pick), j = index(pick);
    double want = 0;
    for (std::int64_t p = 0; p < kGemm; ++p)
      want += static_cast<double>(a[i * kGemm + p]) * b[p * kGemm + j];
    require(std::abs(c[i * kGemm + j] - want) <= 1e-4 * want,
            name + " element (" + std::to_string(i) + ", " + std::to_string(j) + ")");
  }
}

void BM_SgemmOwn(benchmark::State& state) {
  time_into(state, "sgemm own", run_own_gemm, 0, 2.0 * kGemm * kGemm * kGemm, 10);
}
void BM_SgemmCublas(benchmark::State& state) {
  time_into(state, "sgemm cublas", run_cublas_gemm, 0, 2.0 * kGemm * kGemm * kGemm, 10);
}

BENCHMARK(BM_CopyDeviceToDevice)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ElementwiseAdd)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RowSum)
    ->Args({65536, 1024})
    ->Args({256, 262144})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmOwn)->UseManualTime()->Iterations(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmCublas)->UseManualTime()->Iterations(2)->Unit(benchmark::kMillisecond);

void print_ratio(const char* what,
                 const std::string& mine,
                 const std::string& reference,
                 double goal) {
  const auto m = figures().find(mine), r = figures().find(reference);
  if (m == figures().end() || r == figures().end()) return;  // filtered out
  const double ratio = m->second / r->second;
  std::printf("%-34s %8.1f vs %8.1f = %5.1f%% (goal >= %.0f%%) %s\n", what, m->second, r->second,
              100 * ratio, 100 * goal, ratio >= goal ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
  if (!cuda_backend::available()) {
    std::printf("cuda_kernels_bench: skipped, %s\n", cuda_backend::description().c_str());
    return 0;
  }
  std::printf("cuda_kernels_bench on %s\n", cuda_backend::description().c_str());
  validate_add();
  validate_row_sum(rows_of(65536, 1024));
  validate_row_sum(rows_of(256, 262144));
  validate_gemm(run_own_gemm, "own sgemm");
  validate_gemm(run_cublas_gemm, "cublas sgemm");
  std::printf(
      "every variant matches the CPU reference; timing (median of many event-timed runs)\n");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\n%-34s %8s    %8s\n", "summary (GB/s or GFLOP/s)", "kernel", "reference");
  print_ratio("elementwise add vs D2D copy", "add", "copy", 0.8);
  print_ratio("row sum 65536x1024 vs D2D copy", "row sum 65536x1024", "copy", 0.7);
  print_ratio("row sum 256x262144 vs D2D copy", "row sum 256x262144", "copy", 0.7);
  print_ratio("own SGEMM 4096^3 vs cuBLAS", "sgemm own", "sgemm cublas", 0.6);
  return 0;
}
