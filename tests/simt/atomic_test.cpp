// Atomics in emulation under contention: many blocks on two parallel workers update one
// address; exact totals, unique tickets, exchange chains and min/max prove nothing is lost.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

constexpr unsigned kBlocks = 64, kThreads = 128, kTotal = kBlocks * kThreads;

struct Counters {
  int i;
  unsigned u;
  unsigned long long ull;
  float f;
  double d;
  int max;
  int min;
  unsigned cas_count;
  unsigned wrap;
};

__device__ int scramble(unsigned id) { return static_cast<int>((id * 2654435761u) % 1000003u) - 500000; }

__global__ void contend(Counters* c, unsigned* tickets) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  tickets[id] = atomicAdd(&c->u, 1u);
  atomicAdd(&c->i, -2);
  atomicAdd(&c->ull, 1ull << 33);
  atomicAdd(&c->f, 1.0f);  // exact: the total stays below 2^24
  atomicAdd(&c->d, 0.25);
  atomicMax(&c->max, scramble(id));
  atomicMin(&c->min, scramble(id));
  atomicInc(&c->wrap, 999u);  // counts modulo 1000
  unsigned old = c->cas_count, seen;
  do {  // a lock-free increment built from compare-and-swap
    seen = old;
    old = atomicCAS(&c->cas_count, seen, seen + 1);
  } while (old != seen);
}

TEST(SimtAtomics, ContendedUpdatesFromParallelBlocksAreNotLost) {
  kernels::simt::set_worker_count(2);
  DeviceBuffer<Counters> c(1);
  DeviceBuffer<unsigned> tickets(kTotal);
  c.upload({Counters{0, 0, 0, 0.0f, 0.0, -2147483647, 2147483647, 0, 0}});
  launch(contend, dim3(kBlocks), dim3(kThreads), 0, nullptr, c.get(), tickets.get());
  const Counters got = c.download()[0];
  EXPECT_EQ(got.u, kTotal);
  EXPECT_EQ(got.i, -2 * static_cast<int>(kTotal));
  EXPECT_EQ(got.ull, static_cast<unsigned long long>(kTotal) << 33);
  EXPECT_EQ(got.f, static_cast<float>(kTotal));
  EXPECT_EQ(got.d, 0.25 * kTotal);
  EXPECT_EQ(got.cas_count, kTotal);
  EXPECT_EQ(got.wrap, kTotal % 1000);
  int want_max = -2147483647, want_min = 2147483647;
  for (unsigned id = 0; id < kTotal; ++id) {
    const int v = static_cast<int>((id * 2654435761u) % 1000003u) - 500000;
    want_max = std::max(want_max, v);
    want_min = std::min(want_min, v);
  }
  EXPECT_EQ(got.max, want_max);
  EXPECT_EQ(got.min, want_min);
  // atomicAdd returns the old value: the tickets are exactly 0 .. total-1.
  std::vector<unsigned> t = tickets.download();
  std::sort(t.begin(), t.end());
  std::vector<unsigned> want(kTotal);
  std::iota(want.begin(), want.end(), 0u);
  EXPECT_EQ(t, want);
}

// Two blocks meet (each waits until the other has started, so they run at the same time on the
// two workers), then every thread updates the same addresses in a tight loop: a non-atomic
// read-modify-write would lose updates here.
__global__ void hammer(unsigned* arrived, int* met, unsigned* u, float* f, unsigned long long* ull, int iterations) {
  if (threadIdx.x == 0) {
    atomicAdd(arrived, 1u);
    long long spins = 0;
    while (atomicAdd(arrived, 0u) < gridDim.x && ++spins < (1ll << 28)) {
    }
    met[blockIdx.x] = atomicAdd(arrived, 0u) == gridDim.x;
  }
  for (int i = 0; i < iterations; ++i) {
    atomicAdd(u, 1u);
    atomicAdd(f, 1.0f);
    atomicAdd(ull, 3ull);
  }
}

TEST(SimtAtomics, TightLoopsOnOneAddressFromTwoParallelBlocks) {
  kernels::simt::set_worker_count(2);
  const unsigned blocks = 2, threads = 256;
  const int iterations = 256;
  DeviceBuffer<unsigned> arrived(std::vector<unsigned>{0}), u(std::vector<unsigned>{0});
  DeviceBuffer<int> met(blocks);
  DeviceBuffer<float> f(std::vector<float>{0.0f});
  DeviceBuffer<unsigned long long> ull(std::vector<unsigned long long>{0});
  launch(hammer, dim3(blocks), dim3(threads), 0, nullptr, arrived.get(), met.get(), u.get(), f.get(), ull.get(),
         iterations);
  EXPECT_EQ(met.download(), std::vector<int>(blocks, 1)) << "the two blocks did not run at the same time";
  const unsigned total = blocks * threads * iterations;
  EXPECT_EQ(u.download()[0], total);
  EXPECT_EQ(f.download()[0], static_cast<float>(total));  // 131072 < 2^24: exact
  EXPECT_EQ(ull.download()[0], 3ull * total);
}

// Every thread swaps its id into one slot; the values handed back plus the final one are the
// initial value and every id, each exactly once.
__global__ void exchange_chain(int* slot, int* handed_back) {
  const int id = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  handed_back[id] = atomicExch(slot, id);
}

TEST(SimtAtomics, ExchangeHandsBackEveryValueOnce) {
  DeviceBuffer<int> slot(std::vector<int>{-1});
  DeviceBuffer<int> handed_back(kTotal);
  launch(exchange_chain, dim3(kBlocks), dim3(kThreads), 0, nullptr, slot.get(), handed_back.get());
  std::vector<int> all = handed_back.download();
  all.push_back(slot.download()[0]);
  std::sort(all.begin(), all.end());
  std::vector<int> want(kTotal + 1);
  std::iota(want.begin(), want.end(), -1);
  EXPECT_EQ(all, want);
}

__global__ void bit_atomics(unsigned* bits_or, unsigned* bits_and, unsigned* bits_xor) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  atomicOr(bits_or, 1u << (id % 32));
  atomicAnd(bits_and, ~(1u << (id % 31)));
  atomicXor(bits_xor, id);
}

TEST(SimtAtomics, BitwiseAtomics) {
  DeviceBuffer<unsigned> o(std::vector<unsigned>{0}), a(std::vector<unsigned>{0xffffffffu}),
      x(std::vector<unsigned>{0});
  launch(bit_atomics, dim3(kBlocks), dim3(kThreads), 0, nullptr, o.get(), a.get(), x.get());
  unsigned want_xor = 0;
  for (unsigned id = 0; id < kTotal; ++id) want_xor ^= id;
  EXPECT_EQ(o.download()[0], 0xffffffffu);
  EXPECT_EQ(a.download()[0], 0x80000000u);
  EXPECT_EQ(x.download()[0], want_xor);
}

}  // namespace
