// Misuse of the CUDA model is reported as simt::Error with a message that names the problem,
// the block/thread and the launch site: bad configurations, barrier deadlocks, divergent
// barriers, bad warp masks and widths, exceptions in kernels, launches from device code.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

// Runs `body` and returns the simt::Error message it throws (fails the test if none).
template <typename Body>
std::string error_of(Body body) {
  try {
    body();
  } catch (const kernels::simt::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected kernels::simt::Error";
  return "";
}

#define EXPECT_HAS(message, part) EXPECT_NE((message).find(part), std::string::npos) << (message)

__global__ void noop(int* out) {
  if (out != nullptr) out[0] = 1;
}

TEST(SimtMisuse, BlockLargerThan1024ThreadsIsRejected) {
  const std::string m = error_of([] { launch(noop, dim3(1), dim3(32, 33), 0, nullptr, nullptr); });
  EXPECT_HAS(m, "block (32,33,1) has 1056 threads, more than CUDA's limit of 1024 threads per block");
  EXPECT_HAS(m, "misuse_test.cpp");  // the launch site
  EXPECT_HAS(error_of([] { launch(noop, dim3(1), dim3(1, 1, 65), 0, nullptr, nullptr); }), "per-dimension limits");
  EXPECT_HAS(error_of([] { launch(noop, dim3(1), dim3(2048), 0, nullptr, nullptr); }), "per-dimension limits");
}

TEST(SimtMisuse, EmptyGridIsRejected) {
  EXPECT_HAS(error_of([] { launch(noop, dim3(0), dim3(32), 0, nullptr, nullptr); }), "empty grid");
  EXPECT_HAS(error_of([] { launch(noop, dim3(4), dim3(0), 0, nullptr, nullptr); }), "skip the launch");
}

__global__ void barrier_after_early_return(int* out, int active) {
  if (static_cast<int>(threadIdx.x) >= active) return;
  out[threadIdx.x] = 1;
  __syncthreads();
  out[threadIdx.x] = 2;
}

TEST(SimtMisuse, BarrierAfterEarlyReturnIsADeadlock) {
  DeviceBuffer<int> out(128);
  const std::string m =
      error_of([&] { launch(barrier_after_early_return, dim3(3), dim3(128), 0, nullptr, out.get(), 100); });
  EXPECT_HAS(m, "barrier deadlock in block (");
  EXPECT_HAS(m, "100 threads wait at __syncthreads (");
  EXPECT_HAS(m, "misuse_test.cpp:");
  EXPECT_HAS(m, "but 28 threads of the block have exited (first: thread (100,0,0))");
  EXPECT_HAS(m, "do not return before a barrier");
  // The emulator is usable again after a failed launch, and the same kernel works when nobody leaves.
  launch(barrier_after_early_return, dim3(2), dim3(128), 0, nullptr, out.get(), 128);
  EXPECT_EQ(out.download(), std::vector<int>(128, 2));
}

__global__ void divergent_barriers(int* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

TEST(SimtMisuse, DivergentBarriersAreReported) {
  DeviceBuffer<int> out(64);
  const std::string m = error_of([&] { launch(divergent_barriers, dim3(1), dim3(64), 0, nullptr, out.get()); });
  EXPECT_HAS(m, "divergent barrier in block (0,0,0)");
  EXPECT_HAS(m, "thread (0,0,0) waits at __syncthreads");
  EXPECT_HAS(m, "but thread (1,0,0) at __syncthreads");
}

__global__ void shuffle_while_others_wait_at_barrier(int* out) {
  if (threadIdx.x == 0) {
    out[0] = __shfl_sync(0x3u, 1, 1);  // lane 1 never comes: it waits at the barrier
  }
  __syncthreads();
}

TEST(SimtMisuse, WarpCollectiveWaitingForALaneAtABarrierIsADeadlock) {
  DeviceBuffer<int> out(1);
  const std::string m =
      error_of([&] { launch(shuffle_while_others_wait_at_barrier, dim3(1), dim3(32), 0, nullptr, out.get()); });
  EXPECT_HAS(m, "deadlock in block (0,0,0)");
  EXPECT_HAS(m, "31 at a barrier, 1 in warp collectives");
  EXPECT_HAS(m, "Thread (0,0,0) (lane 0) waits in __shfl_sync with mask 0x00000003 for lane 1, which waits at "
                "__syncthreads");
}

__global__ void mask_without_caller(int* out) { out[threadIdx.x] = __shfl_sync(0x1u, 5, 0); }

TEST(SimtMisuse, WarpMaskMustNameTheCaller) {
  DeviceBuffer<int> out(2);
  const std::string m = error_of([&] { launch(mask_without_caller, dim3(1), dim3(2), 0, nullptr, out.get()); });
  EXPECT_HAS(m, "error in thread (1,0,0) of block (0,0,0)");
  EXPECT_HAS(m, "__shfl_sync called by lane 1 with mask 0x00000001, which does not name the calling lane");
}

__global__ void mismatched_collectives(int* out) {
  if (threadIdx.x == 0)
    out[0] = static_cast<int>(__ballot_sync(0x3u, 1));
  else
    out[1] = __shfl_sync(0x3u, 7, 0);
}

TEST(SimtMisuse, DifferentCollectivesUnderOneMaskAreReported) {
  DeviceBuffer<int> out(2);
  const std::string m = error_of([&] { launch(mismatched_collectives, dim3(1), dim3(2), 0, nullptr, out.get()); });
  EXPECT_HAS(m, "divergent warp collective");
  EXPECT_HAS(m, "__shfl_sync");
  EXPECT_HAS(m, "__ballot_sync");
}

__global__ void bad_width(int* out) { out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1, 12); }

TEST(SimtMisuse, ShuffleWidthMustBeAPowerOfTwo) {
  DeviceBuffer<int> out(32);
  EXPECT_HAS(error_of([&] { launch(bad_width, dim3(1), dim3(32), 0, nullptr, out.get()); }),
             "__shfl_down_sync with width 12: the width must be a power of 2 from 1 to 32");
}

__global__ void throws_in_one_thread(int* out) {
  __shared__ int scratch[64];
  scratch[threadIdx.x] = 1;
  __syncthreads();
  if (blockIdx.x == 2 && threadIdx.x == 7) throw std::runtime_error("value out of range in the kernel");
  __syncthreads();  // the other threads are suspended here when the block is torn down
  out[blockIdx.x * 64 + threadIdx.x] = scratch[threadIdx.x];
}

TEST(SimtMisuse, ExceptionInAThreadNamesTheThreadAndBlock) {
  DeviceBuffer<int> out(4 * 64);
  const std::string m = error_of([&] { launch(throws_in_one_thread, dim3(4), dim3(64), 0, nullptr, out.get()); });
  EXPECT_HAS(m, "error in thread (7,0,0) of block (2,0,0) of the kernel launched at ");
  EXPECT_HAS(m, "value out of range in the kernel");
}

__global__ void launches_a_kernel(int* out) { launch(noop, dim3(1), dim3(1), 0, nullptr, out); }

TEST(SimtMisuse, LaunchFromDeviceCodeIsRefused) {
  DeviceBuffer<int> out(1);
  EXPECT_HAS(error_of([&] { launch(launches_a_kernel, dim3(1), dim3(1), 0, nullptr, out.get()); }),
             "dynamic parallelism) is not supported");
}

TEST(SimtMisuse, DeviceOnlyCallsOutsideAKernelAreRefused) {
  EXPECT_HAS(error_of([] { __syncthreads(); }), "__syncthreads called outside a kernel");
  EXPECT_HAS(error_of([] { __ballot_sync(0xffffffffu, 1); }), "called outside a kernel");
  EXPECT_HAS(error_of([] { kernels::simt::dynamic_shared<float>(); }), "outside a kernel");
}

}  // namespace
