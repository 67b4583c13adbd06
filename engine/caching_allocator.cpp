// The size-binned caching allocator shared by the CPU and CUDA memory: bins of 1/8 of a power of
// two, a mutex (loader threads allocate too), a cap on cached bytes, and statistics.
#include "engine/caching_allocator.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

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
  bool for_pool = false;
  {
    std::lock_guard lock(mutex_);
    for_pool = capturing_ != 0 && std::this_thread::get_id() == capture_thread_;
    auto& lists = for_pool ? pools_.at(capturing_).free_blocks : free_blocks_;
    auto it = lists.find(rounded);
    if (it != lists.end() && !it->second.empty()) {
      void* pointer = it->second.back();
      it->second.pop_back();
      if (for_pool)
        ++pools_.at(capturing_).live;
      else
        stats_.cached_bytes -= rounded;
      account_allocation(rounded);
      return pointer;
    }
  }
  // Fresh memory. The shared cache is emptied for another try only outside a capture: its blocks
  // may not be freed while the stream captures.
  void* pointer = source_.allocate(rounded);
  if (pointer == nullptr && !for_pool) {
    empty_cache();
    pointer = source_.allocate(rounded);
  }
  if (pointer == nullptr) source_.out_of_memory(rounded, stats());
  std::lock_guard lock(mutex_);
  ++stats_.raw_allocations;
  account_allocation(rounded);
  if (for_pool) {
    Pool& pool = pools_.at(capturing_);
    ++pool.live;
    pool.bytes += rounded;
    pool_of_[pointer] = capturing_;
    stats_.pool_bytes += rounded;
  }
  return pointer;
}

CachingAllocator::Release CachingAllocator::release_to_pool(void* pointer, std::size_t rounded) {
  if (pools_.empty()) return Release::not_pooled;
  auto owner = pool_of_.find(pointer);
  if (owner == pool_of_.end()) {
    if (capturing_ == 0) return Release::not_pooled;
    // A block from outside released during the capture: the captured work may still use it, so
    // the capture's pool keeps it.
    Pool& pool = pools_.at(capturing_);
    pool_of_.emplace(pointer, capturing_);
    pool.bytes += rounded;
    stats_.pool_bytes += rounded;
    pool.free_blocks[rounded].push_back(pointer);
    return Release::kept;
  }
  const auto id = owner->second;
  Pool& pool = pools_.at(id);
  --pool.live;
  if (!pool.released) {
    pool.free_blocks[rounded].push_back(pointer);
    return Release::kept;
  }
  pool_of_.erase(owner);  // its graph is gone
  pool.bytes -= rounded;
  stats_.pool_bytes -= rounded;
  if (pool.live == 0) pools_.erase(id);
  return Release::to_source;
}

void CachingAllocator::release(void* pointer, std::size_t rounded) {
  if (pointer == nullptr) return;
  {
    std::lock_guard lock(mutex_);
    stats_.current_bytes -= rounded;
    const Release pooled = release_to_pool(pointer, rounded);
    if (pooled == Release::kept) return;
    if (pooled == Release::not_pooled && stats_.cached_bytes + rounded <= cache_limit_) {
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

CachingAllocator::PoolId CachingAllocator::begin_private_pool() {
  std::lock_guard lock(mutex_);
  if (capturing_ != 0) throw std::logic_error("CachingAllocator: a private pool is capturing already");
  capturing_ = next_pool_++;
  capture_thread_ = std::this_thread::get_id();
  pools_.emplace(capturing_, Pool{});
  return capturing_;
}

void CachingAllocator::end_private_pool() {
  std::lock_guard lock(mutex_);
  capturing_ = 0;
}

bool CachingAllocator::routing_to_pool() const {
  std::lock_guard lock(mutex_);
  return capturing_ != 0;
}

void CachingAllocator::release_private_pool(PoolId id) {
  std::vector<void*> blocks;
  {
    std::lock_guard lock(mutex_);
    const auto it = pools_.find(id);
    if (it == pools_.end()) return;
    if (capturing_ == id) capturing_ = 0;
    Pool& pool = it->second;
    pool.released = true;
    for (auto& [size, list] : pool.free_blocks) {
      for (void* pointer : list) {
        pool_of_.erase(pointer);
        blocks.push_back(pointer);
      }
      pool.bytes -= size * list.size();
      stats_.pool_bytes -= size * list.size();
    }
    pool.free_blocks.clear();
    if (pool.live == 0) pools_.erase(it);
  }
  for (void* pointer : blocks) source_.release(pointer);
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
