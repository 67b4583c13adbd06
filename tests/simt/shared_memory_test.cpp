// Shared memory in emulation: static __shared__ is one object per running block (blocks in
// parallel on other workers do not see it), dynamic shared memory has the size given at launch.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

// Every thread stamps its slot with the block id, the block passes several barriers (so blocks
// on the two workers interleave), then thread 0 counts slots holding another block's stamp.
__global__ void stamp_static_shared(int* foreign, int rounds) {
  __shared__ unsigned stamps[128];
  for (int r = 0; r < rounds; ++r) {
    stamps[threadIdx.x] = blockIdx.x * 1000 + static_cast<unsigned>(r);
    __syncthreads();
    if (threadIdx.x == 0) {
      int wrong = 0;
      for (unsigned i = 0; i < blockDim.x; ++i) wrong += stamps[i] != blockIdx.x * 1000 + static_cast<unsigned>(r);
      foreign[blockIdx.x] += wrong;
    }
    __syncthreads();
  }
}

TEST(SimtSharedMemory, StaticSharedIsPerBlockWhileBlocksRunInParallel) {
  kernels::simt::set_worker_count(2);
  const unsigned blocks = 96;
  DeviceBuffer<int> foreign(std::vector<int>(blocks, 0));
  launch(stamp_static_shared, dim3(blocks), dim3(128), 0, nullptr, foreign.get(), 20);
  EXPECT_EQ(foreign.download(), std::vector<int>(blocks, 0));
}

// A static __shared__ array in a __device__ helper is the same per-block object for all callers.
__device__ int* block_scratch() {
  __shared__ int scratch[64];
  return scratch;
}

__global__ void shared_in_device_function(int* out) {
  block_scratch()[threadIdx.x] = static_cast<int>(threadIdx.x * 3 + blockIdx.x);
  __syncthreads();
  out[blockIdx.x * 64 + threadIdx.x] = block_scratch()[63 - threadIdx.x];
}

TEST(SimtSharedMemory, StaticSharedInDeviceFunctionIsSharedByTheBlock) {
  DeviceBuffer<int> out(4 * 64);
  out.poison();
  launch(shared_in_device_function, dim3(4), dim3(64), 0, nullptr, out.get());
  const std::vector<int> got = out.download();
  for (int b = 0; b < 4; ++b)
    for (int t = 0; t < 64; ++t) EXPECT_EQ(got[b * 64 + t], (63 - t) * 3 + b);
}

// Each thread fills `per_thread` floats of the dynamic buffer and reads back another thread's.
__global__ void reverse_through_dynamic_shared(const float* in, float* out, int per_thread, unsigned* reported_bytes) {
  DYNAMIC_SHARED(float, buffer);
  const int n = static_cast<int>(blockDim.x) * per_thread;
  const float* block_in = in + blockIdx.x * n;
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x)) buffer[i] = block_in[i];
  __syncthreads();
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x))
    out[blockIdx.x * n + i] = buffer[n - 1 - i];
  if (threadIdx.x == 0 && blockIdx.x == 0) *reported_bytes = static_cast<unsigned>(buffer.size() * sizeof(float));
}

TEST(SimtSharedMemory, DynamicSharedHasTheSizeGivenAtLaunch) {
  const int threads = 96, per_thread = 5, blocks = 7, n = threads * per_thread;
  const std::vector<float> in = simt_test::random_floats(blocks * n, 3);
  DeviceBuffer<float> d_in(in), d_out(in.size());
  DeviceBuffer<unsigned> bytes(1);
  d_out.poison();
  launch(reverse_through_dynamic_shared, dim3(blocks), dim3(threads), n * sizeof(float), nullptr, d_in.get(),
         d_out.get(), per_thread, bytes.get());
  const std::vector<float> got = d_out.download();
  for (int b = 0; b < blocks; ++b)
    for (int i = 0; i < n; ++i) ASSERT_EQ(got[b * n + i], in[b * n + n - 1 - i]) << "block " << b << " i " << i;
  EXPECT_EQ(bytes.download()[0], n * sizeof(float));
}

TEST(SimtSharedMemory, DynamicSharedIndexPastTheLaunchSizeIsReported) {
  const int threads = 32, per_thread = 4;
  DeviceBuffer<float> d_in(threads * per_thread), d_out(threads * per_thread);
  DeviceBuffer<unsigned> bytes(1);
  d_in.poison(0);
  try {  // one float short of what the kernel indexes
    launch(reverse_through_dynamic_shared, dim3(1), dim3(threads), (threads * per_thread - 1) * sizeof(float),
           nullptr, d_in.get(), d_out.get(), per_thread, bytes.get());
    FAIL() << "expected an out-of-bounds error";
  } catch (const kernels::simt::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("index 127 is out of bounds"), std::string::npos) << message;
    EXPECT_NE(message.find("508 bytes given at the launch hold 127 elements"), std::string::npos) << message;
    EXPECT_NE(message.find("thread (31,0,0)"), std::string::npos) << message;  // 127 = 3 * 32 + 31
  }
}

__global__ void read_unwritten_dynamic_shared(float* out) {
  DYNAMIC_SHARED(float, buffer);
  out[threadIdx.x] = buffer[threadIdx.x];
}

TEST(SimtSharedMemory, DynamicSharedStartsPoisoned) {
  DeviceBuffer<float> out(32);
  out.poison(0);
  launch(read_unwritten_dynamic_shared, dim3(1), dim3(32), 32 * sizeof(float), nullptr, out.get());
  for (float v : out.download()) EXPECT_TRUE(std::isnan(v));
}

__global__ void touch_dynamic_shared(unsigned char* out, unsigned bytes) {
  DYNAMIC_SHARED(unsigned char, buffer);
  for (unsigned i = threadIdx.x; i < bytes; i += blockDim.x) buffer[i] = static_cast<unsigned char>(i);
  __syncthreads();
  if (threadIdx.x == 0) *out = buffer[bytes - 1];
}

TEST(SimtSharedMemory, LimitIs48KiBUnlessTheKernelOptsIn) {
  DeviceBuffer<unsigned char> out(1);
  const unsigned limit = 48 * 1024;
  launch(touch_dynamic_shared, dim3(2), dim3(64), limit, nullptr, out.get(), limit);  // exactly the limit
  EXPECT_EQ(out.download()[0], static_cast<unsigned char>(limit - 1));
  try {
    launch(touch_dynamic_shared, dim3(1), dim3(64), limit + 1, nullptr, out.get(), limit + 1);
    FAIL() << "expected the shared memory limit to be enforced";
  } catch (const kernels::simt::Error& e) {
    EXPECT_NE(std::string(e.what()).find("49153 bytes of dynamic shared memory, over the 49152-byte limit"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("cudaFuncSetAttribute"), std::string::npos) << e.what();
  }
  const unsigned big = 100 * 1024;
  CUDA_CHECK(cudaFuncSetAttribute(touch_dynamic_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, big));
  launch(touch_dynamic_shared, dim3(1), dim3(64), big, nullptr, out.get(), big);
  EXPECT_EQ(out.download()[0], static_cast<unsigned char>(big - 1));
  EXPECT_EQ(cudaFuncSetAttribute(touch_dynamic_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, 228 * 1024),
            cudaErrorInvalidValue);  // over the device's 227 KiB
  CUDA_CHECK(cudaFuncSetAttribute(touch_dynamic_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, limit));
}

}  // namespace
