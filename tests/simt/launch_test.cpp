// The launch helper and the emulated runtime: arguments are converted to the kernel's parameter
// types and copied per thread, blocks run in parallel on two workers, CUDA_CHECK reports file:line.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

// `n` arrives as int although the caller passes int64; each thread's copy of `n` is its own.
__global__ void count_down(int* out, int n) {
  n -= static_cast<int>(threadIdx.x);
  out[threadIdx.x] = n;
}

TEST(SimtLaunch, ArgumentsAreConvertedAndCopiedPerThread) {
  DeviceBuffer<int> out(64);
  const std::int64_t n = 1000;
  launch(count_down, 1, 64, 0, nullptr, out.get(), n);  // ints convert to dim3 as with <<<>>>
  const std::vector<int> got = out.download();
  for (int t = 0; t < 64; ++t) EXPECT_EQ(got[t], 1000 - t);
}

__global__ void fill_blocks(int* out) {
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<int>(blockIdx.x) + 1;
}

TEST(SimtLaunch, ManyBlocksAllRunOnceOnEveryStream) {
  cudaStream_t stream;
  CUDA_CHECK(cudaStreamCreate(&stream));
  DeviceBuffer<int> out(5000);
  out.poison(0);
  launch(fill_blocks, dim3(5000), dim3(32), 0, stream, out.get());
  CUDA_CHECK(cudaStreamSynchronize(stream));
  CUDA_CHECK(cudaStreamDestroy(stream));
  const std::vector<int> got = out.download();
  for (int b = 0; b < 5000; ++b) ASSERT_EQ(got[b], b + 1);
}

// Each block waits until every block of the grid has started: only possible when the two
// blocks are in flight at the same time on different workers (bounded, so it fails, not hangs).
__global__ void rendezvous(unsigned* arrived, int* met) {
  atomicAdd(arrived, 1u);
  long long spins = 0;
  while (atomicAdd(arrived, 0u) < gridDim.x && ++spins < (1ll << 28)) {
  }
  met[blockIdx.x] = atomicAdd(arrived, 0u) == gridDim.x;
}

TEST(SimtLaunch, BlocksRunInParallelOnTwoWorkers) {
  kernels::simt::set_worker_count(2);
  EXPECT_EQ(kernels::simt::worker_count(), 2u);
  DeviceBuffer<unsigned> arrived(std::vector<unsigned>{0});
  DeviceBuffer<int> met(2);
  launch(rendezvous, dim3(2), dim3(1), 0, nullptr, arrived.get(), met.get());
  EXPECT_EQ(met.download(), std::vector<int>(2, 1));
}

TEST(SimtLaunch, CudaCheckNamesTheCallFileAndLine) {
  int not_allocated = 0;
  try {
    CUDA_CHECK(cudaFree(&not_allocated));
    FAIL() << "cudaFree of a host pointer must fail";
  } catch (const kernels::cuda::CudaError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("launch_test.cpp:"), std::string::npos) << m;
    EXPECT_NE(m.find("cudaFree(&not_allocated) failed: cudaErrorInvalidDevicePointer"), std::string::npos) << m;
  }
}

TEST(SimtLaunch, MallocIsAlignedLikeCuda) {
  for (std::size_t bytes : {1u, 17u, 4096u}) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, bytes));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 256, 0u);
    CUDA_CHECK(cudaFree(p));
  }
}

}  // namespace
