// The caching allocator behind cuda tensors: blocks come back for same-bin requests (no new
// cudaMalloc in a steady loop), current/peak/cached bytes, empty_cache, and the out-of-memory path.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "engine/caching_allocator.h"
#include "engine/cuda_backend.h"
#include "engine/tensor.h"
#include "tests/cuda/cuda_test_util.h"

using namespace engine;

TEST(CudaAllocator, ReusesBlocksAndTracksBytes) {
  SKIP_WITHOUT_CUDA_BACKEND();
  cuda_backend::empty_cache();
  const AllocatorStats before = cuda_backend::memory_stats();
  void* first = nullptr;
  {
    Tensor t = empty({1000, 1000}, {.device = Device::cuda()});  // 4 MB
    first = t.cuda_data();
    const AllocatorStats live = cuda_backend::memory_stats();
    EXPECT_GE(live.current_bytes, before.current_bytes + 4000000);
    EXPECT_GE(live.peak_bytes, live.current_bytes);
    EXPECT_EQ(live.raw_allocations, before.raw_allocations + 1);
  }
  EXPECT_EQ(cuda_backend::memory_stats().current_bytes, before.current_bytes);
  EXPECT_GE(cuda_backend::memory_stats().cached_bytes, 4000000u);
  Tensor again = empty({999, 1001}, {.device = Device::cuda()});  // same bin
  EXPECT_EQ(again.cuda_data(), first);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.cuda_data()) % 256, 0u);
}

TEST(CudaAllocator, SteadyTrainingLoopMakesNoNewDeviceAllocations) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor w = cuda_test::random_f32({64, 32}, 1).cuda();
  const auto step = [&] {
    const Tensor x = cuda_test::random_f32({16, 64}, 2).cuda();
    return sum(relu(matmul(x, w))).item();
  };
  step();  // warm-up fills the cache
  const std::size_t raw = cuda_backend::memory_stats().raw_allocations;
  for (int i = 0; i < 3; ++i) step();
  EXPECT_EQ(cuda_backend::memory_stats().raw_allocations, raw);
}

TEST(CudaAllocator, EmptyCacheAndPeak) {
  SKIP_WITHOUT_CUDA_BACKEND();
  { Tensor t = zeros({4096}, {.device = Device::cuda()}); }
  EXPECT_GT(cuda_backend::memory_stats().cached_bytes, 0u);
  cuda_backend::empty_cache();
  EXPECT_EQ(cuda_backend::memory_stats().cached_bytes, 0u);
  cuda_backend::reset_peak();
  const std::size_t base = cuda_backend::memory_stats().current_bytes;
  { Tensor t = zeros({1 << 16}, {.device = Device::cuda()}); }
  EXPECT_GE(cuda_backend::memory_stats().peak_bytes, base + (std::size_t{1} << 18));
  EXPECT_EQ(cuda_backend::memory_stats().current_bytes, base);
}

// The allocator itself over a fake source: out of memory empties the cache and retries once,
// then reports through the source's handler.
namespace {
int g_fake_live = 0;
bool g_fake_full = false;
void* fake_allocate(std::size_t bytes) {
  if (g_fake_full && g_fake_live > 0) return nullptr;  // "full" while anything is held
  ++g_fake_live;
  return std::malloc(bytes);
}
void fake_release(void* p) {
  --g_fake_live;
  std::free(p);
}
[[noreturn]] void fake_out_of_memory(std::size_t bytes, const AllocatorStats&) {
  throw std::runtime_error("out of memory: " + std::to_string(bytes));
}
}  // namespace

TEST(CachingAllocator, OutOfMemoryEmptiesTheCacheThenReports) {
  CachingAllocator cache({fake_allocate, fake_release, fake_out_of_memory}, std::size_t{1} << 30);
  std::size_t rounded = 0;
  void* a = cache.allocate(1000, &rounded);
  EXPECT_EQ(rounded, CachingAllocator::round_size(1000));
  cache.release(a, rounded);  // cached, still held from the source
  EXPECT_EQ(g_fake_live, 1);
  g_fake_full = true;
  void* b = cache.allocate(100000, &rounded);  // a different bin: the cache is emptied first
  EXPECT_EQ(g_fake_live, 1);
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
  EXPECT_THROW(cache.allocate(100000, &rounded), std::runtime_error);  // nothing left to free
  cache.release(b, rounded);
  cache.empty_cache();
  EXPECT_EQ(g_fake_live, 0);
  g_fake_full = false;
}

// Private pools over the fake source: during the capture blocks come from the pool (a block
// cached before stays in the shared cache), blocks freed during it serve only it, nothing of the
// pool reaches a later allocation, and release_private_pool gives the memory back.
TEST(CachingAllocator, PrivatePoolKeepsItsBlocksUntilReleased) {
  CachingAllocator cache({fake_allocate, fake_release, fake_out_of_memory}, std::size_t{1} << 30);
  std::size_t rounded = 0;
  void* shared = cache.allocate(1000, &rounded);
  void* outside = cache.allocate(1000, &rounded);  // live across the capture, freed during it
  cache.release(shared, rounded);                   // cached before the capture
  EXPECT_EQ(g_fake_live, 2);

  const CachingAllocator::PoolId pool = cache.begin_private_pool();
  EXPECT_TRUE(cache.routing_to_pool());
  void* a = cache.allocate(1000, &rounded);
  EXPECT_NE(a, shared) << "the shared cache serves no allocation of the capture";
  EXPECT_EQ(g_fake_live, 3);
  cache.release(a, rounded);
  EXPECT_EQ(cache.allocate(1000, &rounded), a) << "a block freed in the capture serves the capture";
  cache.release(outside, rounded);  // the captured work may use it: the pool keeps it
  EXPECT_EQ(cache.allocate(1000, &rounded), outside);
  cache.release(outside, rounded);
  cache.end_private_pool();
  EXPECT_FALSE(cache.routing_to_pool());
  EXPECT_EQ(cache.stats().pool_bytes, 2 * rounded);

  // After the capture: the shared cache serves others, the pool's blocks go to no one.
  EXPECT_EQ(cache.allocate(1000, &rounded), shared);
  void* fresh = cache.allocate(1000, &rounded);
  EXPECT_NE(fresh, a);
  EXPECT_NE(fresh, outside);
  cache.release(a, rounded);  // the capture's live block comes back to its pool
  void* fresh2 = cache.allocate(1000, &rounded);
  EXPECT_NE(fresh2, a);
  EXPECT_EQ(g_fake_live, 5);

  cache.release_private_pool(pool);
  EXPECT_EQ(cache.stats().pool_bytes, 0u);
  EXPECT_EQ(g_fake_live, 3) << "the pool's two blocks went back to the source";
  for (void* p : {shared, fresh, fresh2}) cache.release(p, rounded);
  cache.empty_cache();
  EXPECT_EQ(g_fake_live, 0);
}

TEST(CachingAllocator, LiveBlocksOfAReleasedPoolGoBackWhenFreed) {
  CachingAllocator cache({fake_allocate, fake_release, fake_out_of_memory}, std::size_t{1} << 30);
  std::size_t rounded = 0;
  const CachingAllocator::PoolId pool = cache.begin_private_pool();
  void* out = cache.allocate(5000, &rounded);  // the graph's output, held by the caller
  cache.end_private_pool();
  cache.release_private_pool(pool);
  EXPECT_EQ(g_fake_live, 1);
  EXPECT_EQ(cache.stats().pool_bytes, rounded);
  cache.release(out, rounded);
  EXPECT_EQ(g_fake_live, 0) << "not cached: straight back to the source";
  EXPECT_EQ(cache.stats().pool_bytes, 0u);
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
}
