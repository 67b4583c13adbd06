// Warp collectives in emulation: shuffles (idx/up/down/xor) with widths, votes, partial masks,
// a partial last warp, exited lanes, several payload types, and __syncwarp ordering.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

constexpr unsigned kFull = 0xffffffffu;

// Expected source lane of a shuffle, from CUDA's documented semantics (independent of the
// emulator's PTX-style formula): out-of-segment sources return the caller's own value.
int expected_source(int kind, int lane, int arg, int width) {
  const int segment = lane / width * width;
  switch (kind) {
    case 0: return segment + (arg % width);                                   // __shfl_sync
    case 1: return lane - segment >= arg ? lane - arg : lane;                 // __shfl_up_sync
    case 2: return lane - segment + arg < width ? lane + arg : lane;          // __shfl_down_sync
    default: return (lane ^ arg) < segment + width ? (lane ^ arg) : lane;     // __shfl_xor_sync
  }
}

__global__ void shuffles(int* out, int kind, int arg, int width) {
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int value = 1000 + static_cast<int>(threadIdx.x);  // distinct per thread, also across warps
  int got = 0;
  switch (kind) {
    case 0: got = __shfl_sync(kFull, value, arg, width); break;
    case 1: got = __shfl_up_sync(kFull, value, static_cast<unsigned>(arg), width); break;
    case 2: got = __shfl_down_sync(kFull, value, static_cast<unsigned>(arg), width); break;
    default: got = __shfl_xor_sync(kFull, value, arg, width); break;
  }
  out[threadIdx.x] = got;
  (void)lane;
}

TEST(SimtWarp, ShufflesFollowCudaSemanticsForEveryWidth) {
  const int threads = 64;
  DeviceBuffer<int> out(threads);
  for (int kind = 0; kind < 4; ++kind)
    for (int width : {32, 16, 8, 4, 2, 1})
      for (int arg : {0, 1, 3, 5, 16, 31}) {
        if (kind == 3 && arg >= 32) continue;
        out.poison();
        launch(shuffles, dim3(1), dim3(threads), 0, nullptr, out.get(), kind, arg, width);
        const std::vector<int> got = out.download();
        for (int t = 0; t < threads; ++t) {
          const int lane = t % 32, warp_base = t / 32 * 32;
          ASSERT_EQ(got[t], 1000 + warp_base + expected_source(kind, lane, arg, width))
              << "kind " << kind << " width " << width << " arg " << arg << " thread " << t;
        }
      }
}

__global__ void butterfly_sum(const float* in, float* out) {
  float v = in[threadIdx.x];
  for (int mask = 16; mask > 0; mask /= 2) v += __shfl_xor_sync(kFull, v, mask);
  out[threadIdx.x] = v;  // every lane holds its warp's sum
}

TEST(SimtWarp, XorButterflyGivesEveryLaneTheWarpSum) {
  std::vector<float> in(96);
  for (int i = 0; i < 96; ++i) in[i] = static_cast<float>(i % 7 + i / 32 * 100);
  DeviceBuffer<float> d_in(in), d_out(96);
  d_out.poison();
  launch(butterfly_sum, dim3(1), dim3(96), 0, nullptr, d_in.get(), d_out.get());
  const std::vector<float> got = d_out.download();
  for (int w = 0; w < 3; ++w) {
    float sum = 0;
    for (int l = 0; l < 32; ++l) sum += in[w * 32 + l];
    for (int l = 0; l < 32; ++l) EXPECT_EQ(got[w * 32 + l], sum);
  }
}

// Only the lanes of `mask` call; the others skip the collective entirely.
__global__ void partial_mask_collectives(unsigned mask, unsigned* ballots, int* anys, int* alls, int* downs) {
  const unsigned lane = threadIdx.x % 32;
  if (((mask >> lane) & 1u) == 0) return;
  const int pred = lane % 3 == 0;
  ballots[threadIdx.x] = __ballot_sync(mask, pred);
  anys[threadIdx.x] = __any_sync(mask, lane == 30);
  alls[threadIdx.x] = __all_sync(mask, lane % 2 == 0);
  downs[threadIdx.x] = __shfl_down_sync(mask, static_cast<int>(lane), 2);
}

TEST(SimtWarp, VotesAndShufflesWithPartialMasks) {
  for (unsigned mask : {0xffffffffu, 0x0000ffffu, 0x55555555u, 0x80000001u, 0x00000400u}) {
    DeviceBuffer<unsigned> ballots(32);
    DeviceBuffer<int> anys(32), alls(32), downs(32);
    ballots.poison();
    anys.poison();
    alls.poison();
    downs.poison();
    launch(partial_mask_collectives, dim3(1), dim3(32), 0, nullptr, mask, ballots.get(), anys.get(), alls.get(),
           downs.get());
    const auto b = ballots.download();
    const auto an = anys.download(), al = alls.download(), d = downs.download();
    unsigned want_ballot = 0;
    bool any30 = false, all_even = true;
    for (unsigned l = 0; l < 32; ++l)
      if ((mask >> l) & 1u) {
        if (l % 3 == 0) want_ballot |= 1u << l;
        any30 = any30 || l == 30;
        all_even = all_even && l % 2 == 0;
      }
    for (unsigned l = 0; l < 32; ++l) {
      if (((mask >> l) & 1u) == 0) {
        EXPECT_EQ(b[l], 0xffffffffu) << "lane " << l << " outside the mask must not be written";
        continue;
      }
      EXPECT_EQ(b[l], want_ballot) << "mask " << std::hex << mask << " lane " << std::dec << l;
      EXPECT_EQ(an[l], any30 ? 1 : 0);
      EXPECT_EQ(al[l], all_even ? 1 : 0);
      // A source lane outside the mask counts as inactive: the caller gets its own value.
      const unsigned src = l + 2 < 32 && ((mask >> (l + 2)) & 1u) ? l + 2 : l;
      EXPECT_EQ(d[l], static_cast<int>(src)) << "mask " << std::hex << mask << " lane " << std::dec << l;
    }
  }
}

// Blocks of 48 threads: warp 1 has 16 lanes; a full mask names lanes that do not exist.
__global__ void partial_last_warp(unsigned* ballots, int* sums) {
  ballots[threadIdx.x] = __ballot_sync(kFull, 1);
  int v = static_cast<int>(threadIdx.x);
  for (int offset = 8; offset > 0; offset /= 2) v += __shfl_down_sync(kFull, v, static_cast<unsigned>(offset), 16);
  sums[threadIdx.x] = v;
}

TEST(SimtWarp, PartialLastWarpHasOnlyItsLanes) {
  DeviceBuffer<unsigned> ballots(48);
  DeviceBuffer<int> sums(48);
  launch(partial_last_warp, dim3(1), dim3(48), 0, nullptr, ballots.get(), sums.get());
  const auto b = ballots.download();
  const auto s = sums.download();
  for (int t = 0; t < 48; ++t) EXPECT_EQ(b[t], t < 32 ? 0xffffffffu : 0x0000ffffu) << "thread " << t;
  EXPECT_EQ(s[0], 120);         // 0 + ... + 15
  EXPECT_EQ(s[16], 376);        // 16 + ... + 31
  EXPECT_EQ(s[32], 32 * 16 + 120);  // 32 + ... + 47
}

// Lanes that returned no longer count in a full mask (CUDA: "non-exited threads named in mask").
__global__ void after_early_exit(unsigned* ballots, int* shuffled, int alive) {
  if (static_cast<int>(threadIdx.x) >= alive) return;
  ballots[threadIdx.x] = __ballot_sync(kFull, 1);
  shuffled[threadIdx.x] = __shfl_down_sync(kFull, static_cast<int>(threadIdx.x) * 10, 4);
}

TEST(SimtWarp, ExitedLanesDropOutOfFullMasks) {
  DeviceBuffer<unsigned> ballots(32);
  DeviceBuffer<int> shuffled(32);
  launch(after_early_exit, dim3(1), dim3(32), 0, nullptr, ballots.get(), shuffled.get(), 20);
  const auto b = ballots.download();
  const auto s = shuffled.download();
  for (int t = 0; t < 20; ++t) {
    EXPECT_EQ(b[t], 0x000fffffu);
    EXPECT_EQ(s[t], (t + 4 < 20 ? t + 4 : t) * 10) << "thread " << t;
  }
}

__global__ void typed_shuffles(const double* d, const long long* ll, const float* f, double* d_out,
                               long long* ll_out, float* h_out, float* b_out) {
  const unsigned lane = threadIdx.x;
  d_out[lane] = __shfl_sync(kFull, d[lane], 31 - static_cast<int>(lane));
  ll_out[lane] = __shfl_xor_sync(kFull, ll[lane], 1);
  const kernels::cuda::f16 h = kernels::cuda::from_float<kernels::cuda::f16>(f[lane]);
  h_out[lane] = kernels::cuda::to_float(__shfl_up_sync(kFull, h, 1));
  const kernels::cuda::bf16 b = kernels::cuda::from_float<kernels::cuda::bf16>(f[lane]);
  b_out[lane] = kernels::cuda::to_float(__shfl_down_sync(kFull, b, 1));
}

TEST(SimtWarp, ShufflesMoveEveryPayloadTypeIntact) {
  std::vector<double> d(32);
  std::vector<long long> ll(32);
  std::vector<float> f(32);
  for (int i = 0; i < 32; ++i) {
    d[i] = 1.0 / (i + 3);
    ll[i] = (1ll << 40) * i - 7;
    f[i] = static_cast<float>(i) * 0.5f;  // exact in f16 and bf16
  }
  DeviceBuffer<double> dd(d), d_out(32);
  DeviceBuffer<long long> dll(ll), ll_out(32);
  DeviceBuffer<float> df(f), h_out(32), b_out(32);
  launch(typed_shuffles, dim3(1), dim3(32), 0, nullptr, dd.get(), dll.get(), df.get(), d_out.get(), ll_out.get(),
         h_out.get(), b_out.get());
  const auto gd = d_out.download();
  const auto gll = ll_out.download();
  const auto gh = h_out.download(), gb = b_out.download();
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(gd[i], d[31 - i]);
    EXPECT_EQ(gll[i], ll[i ^ 1]);
    EXPECT_EQ(gh[i], f[i == 0 ? 0 : i - 1]);
    EXPECT_EQ(gb[i], f[i == 31 ? 31 : i + 1]);
  }
}

// Lanes publish to shared memory, __syncwarp, then read a neighbour's slot.
__global__ void syncwarp_orders_shared_memory(int* out) {
  __shared__ int slots[64];
  const unsigned lane = threadIdx.x % 32, base = threadIdx.x / 32 * 32;
  for (int round = 0; round < 3; ++round) {
    slots[threadIdx.x] = static_cast<int>(threadIdx.x) * 10 + round;
    __syncwarp();
    out[round * 64 + threadIdx.x] = slots[base + (lane + 1) % 32];
    __syncwarp();
  }
}

TEST(SimtWarp, SyncwarpOrdersSharedMemoryWithinTheWarp) {
  DeviceBuffer<int> out(3 * 64);
  out.poison();
  launch(syncwarp_orders_shared_memory, dim3(1), dim3(64), 0, nullptr, out.get());
  const auto got = out.download();
  for (int round = 0; round < 3; ++round)
    for (int t = 0; t < 64; ++t)
      EXPECT_EQ(got[round * 64 + t], (t / 32 * 32 + (t % 32 + 1) % 32) * 10 + round);
}

}  // namespace
