// __syncthreads semantics in emulation: writes before a barrier are visible after it, index
// built-ins cover the grid exactly once, and the counting/voting barriers reduce over the block.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

constexpr int kRounds = 6;

// Each round every thread writes its slot, then (after the barrier) reads another thread's slot;
// without a working barrier a reader would run before the writer of that slot.
__global__ void rotate_through_shared(int* seen) {
  __shared__ int slots[1024];
  const unsigned n = blockDim.x * blockDim.y * blockDim.z;
  const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  for (int r = 0; r < kRounds; ++r) {
    slots[t] = static_cast<int>(1000 * r + t);
    __syncthreads();
    seen[(blockIdx.x * n + t) * kRounds + r] = slots[(t + 37u * (r + 1)) % n];
    __syncthreads();  // nobody overwrites a slot before everyone has read it
  }
}

void expect_rotation(dim3 block, unsigned blocks) {
  const unsigned n = block.x * block.y * block.z;
  DeviceBuffer<int> seen(blocks * n * kRounds);
  seen.poison();
  launch(rotate_through_shared, dim3(blocks), block, 0, nullptr, seen.get());
  const std::vector<int> got = seen.download();
  for (unsigned b = 0; b < blocks; ++b)
    for (unsigned t = 0; t < n; ++t)
      for (int r = 0; r < kRounds; ++r)
        ASSERT_EQ(got[(b * n + t) * kRounds + r], static_cast<int>(1000 * r + (t + 37u * (r + 1)) % n))
            << "block " << b << " thread " << t << " round " << r;
}

TEST(SimtBarrier, WritesBeforeSyncthreadsAreVisibleAfterIt) { expect_rotation(dim3(256), 3); }
TEST(SimtBarrier, ThreeDimensionalBlockUsesLinearOrder) { expect_rotation(dim3(8, 4, 3), 2); }
TEST(SimtBarrier, FullSizeBlockOf1024Threads) { expect_rotation(dim3(32, 32), 1); }

__global__ void record_indices(uint4* out) {
  const unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned per_block = blockDim.x * blockDim.y * blockDim.z;
  out[block * per_block + thread] = make_uint4(blockIdx.x * 100 + blockIdx.y * 10 + blockIdx.z,
                                               threadIdx.x * 100 + threadIdx.y * 10 + threadIdx.z,
                                               blockDim.x * 100 + blockDim.y * 10 + blockDim.z,
                                               gridDim.x * 100 + gridDim.y * 10 + gridDim.z);
}

TEST(SimtBarrier, IndexBuiltinsCoverTheGridOnce) {
  const dim3 grid(3, 2, 2), block(4, 3, 2);
  DeviceBuffer<uint4> out(12 * 24);
  out.poison();
  launch(record_indices, grid, block, 0, nullptr, out.get());
  const std::vector<uint4> got = out.download();
  for (unsigned bz = 0; bz < 2; ++bz)
    for (unsigned by = 0; by < 2; ++by)
      for (unsigned bx = 0; bx < 3; ++bx)
        for (unsigned tz = 0; tz < 2; ++tz)
          for (unsigned ty = 0; ty < 3; ++ty)
            for (unsigned tx = 0; tx < 4; ++tx) {
              const uint4 v = got[(bx + 3 * (by + 2 * bz)) * 24 + tx + 4 * (ty + 3 * tz)];
              EXPECT_EQ(v.x, bx * 100 + by * 10 + bz);
              EXPECT_EQ(v.y, tx * 100 + ty * 10 + tz);
              EXPECT_EQ(v.z, 432u);
              EXPECT_EQ(v.w, 322u);
            }
}

__global__ void counting_barriers(int* out) {
  const int t = static_cast<int>(threadIdx.x);
  const int count = __syncthreads_count(t % 3 == 0);
  const int all = __syncthreads_and(t < 1000);
  const int none = __syncthreads_and(t != 5);
  const int any = __syncthreads_or(t == 77);
  const int nobody = __syncthreads_or(t < 0);
  if (t == 0) {
    out[0] = count;
    out[1] = all;
    out[2] = none;
    out[3] = any;
    out[4] = nobody;
  }
}

TEST(SimtBarrier, CountingAndVotingBarriers) {
  DeviceBuffer<int> out(5);
  out.poison();
  launch(counting_barriers, dim3(1), dim3(100), 0, nullptr, out.get());
  EXPECT_EQ(out.download(), (std::vector<int>{34, 1, 0, 1, 0}));
}

}  // namespace
