// The CPU caching allocator: freed blocks are reused for same-bin requests, statistics track
// live/peak/cached bytes, sizes round to bins of at most 1/8 waste, empty_cache releases all.
#include <gtest/gtest.h>

#include "engine/host_allocator.h"
#include "engine/tensor.h"

using namespace engine;

TEST(HostAllocator, RoundsToSmallBins) {
  EXPECT_EQ(HostAllocator::round_size(1), 512u);
  EXPECT_EQ(HostAllocator::round_size(4096), 4096u);
  EXPECT_EQ(HostAllocator::round_size(4097), 4096u + 512u);
  for (std::size_t n : {1000u, 70000u, 3000000u, 64000000u}) {
    EXPECT_GE(HostAllocator::round_size(n), n);
    EXPECT_LE(HostAllocator::round_size(n), n + n / 8 + 64);
  }
}

TEST(HostAllocator, ReusesFreedBlocksAndTracksBytes) {
  HostAllocator& alloc = HostAllocator::instance();
  const AllocatorStats before = alloc.stats();
  void* first = nullptr;
  {
    Tensor t = empty({1000, 1000});  // 4 MB
    first = t.raw_data();
    EXPECT_GE(alloc.stats().current_bytes, before.current_bytes + 4000000);
    EXPECT_GE(alloc.stats().peak_bytes, alloc.stats().current_bytes);
  }
  EXPECT_EQ(alloc.stats().current_bytes, before.current_bytes);
  EXPECT_GE(alloc.stats().cached_bytes, 4000000u);
  Tensor again = empty({1000, 1000});
  EXPECT_EQ(again.raw_data(), first);  // the cached block came back
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(again.raw_data()) % 64, 0u);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().cached_bytes, 0u);
}
