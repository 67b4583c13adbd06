// The size-binned caching allocator shared by the CPU and CUDA memory: bins of 1/8 of a power of
// two, a mutex (loader threads allocate too), a cap on cached bytes, and statistics.
#include "engine/caching_allocator.h"

#include <algorithm>
#include <bit>

namespace engine {

namespace {
constexpr std::size_t kSmallest = 512;
constexpr std::size_t kStepAlignment = 64;
}  // namespace

CachingAllocator::CachingAllocator(MemorySource source, std::size_t cache_limit)
    : source_(source), cache_limit_(cache_limit) {}

std::size_t CachingAllocator::round_size(std::size_t nbytes) {
  if (nbytes <= kSmallest) return kSmallest;
  const std::size_t power = std::bit_floor(nbytes);
  const std::size_t step = std::max<std::size_t>(power / 8, kStepAlignment);
  return (nbytes + step - 1) / step * step;
}

void CachingAllocator::account_allocation(std::size_t rounded) {
  stats_.current_bytes += rounded;
  stats_.peak_bytes = std::max(stats_.peak_bytes, stats_.current_bytes);
}

void* CachingAllocator::allocate(std::size_t nbytes, std::size_t* rounded_out) {
  const std::size_t rounded = round_size(nbytes);
  *rounded_out = rounded;
  {
    std::lock_guard lock(mutex_);
    auto it = free_blocks_.find(rounded);
    if (it != free_blocks_.end() && !it->second.empty()) {
      void* pointer = it->second.back();
      it->second.pop_back();
      stats_.cached_bytes -= rounded;
      account_allocation(rounded);
      return pointer;
    }
  }
  void* pointer = source_.allocate(rounded);
  if (pointer == nullptr) {
    empty_cache();  // give cached memory back and try once more
    pointer = source_.allocate(rounded);
    if (pointer == nullptr) source_.out_of_memory(rounded, stats());
  }
  std::lock_guard lock(mutex_);
  ++stats_.raw_allocations;
  account_allocation(rounded);
  return pointer;
}

void CachingAllocator::release(void* pointer, std::size_t rounded) {
  if (pointer == nullptr) return;
  {
    std::lock_guard lock(mutex_);
    stats_.current_bytes -= rounded;
    if (stats_.cached_bytes + rounded <= cache_limit_) {
      free_blocks_[rounded].push_back(pointer);
      stats_.cached_bytes += rounded;
      return;
    }
  }
  source_.release(pointer);
}

void CachingAllocator::empty_cache() {
  std::unordered_map<std::size_t, std::vector<void*>> blocks;
  {
    std::lock_guard lock(mutex_);
    blocks.swap(free_blocks_);
    stats_.cached_bytes = 0;
  }
  for (auto& [size, list] : blocks)
    for (void* pointer : list) source_.release(pointer);
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_bytes = stats_.current_bytes;
}

void CachingAllocator::set_cache_limit(std::size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    cache_limit_ = bytes;
  }
  if (stats().cached_bytes > bytes) empty_cache();
}

}  // namespace engine
