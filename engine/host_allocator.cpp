// The CPU caching allocator: bins of 1/8 of a power of two, a mutex (loader threads allocate
// too), a cap on cached bytes, and statistics for the progress display and benchmarks.
#include "engine/host_allocator.h"

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace engine {

namespace {
constexpr std::size_t kAlignment = 64;
constexpr std::size_t kSmallest = 512;
}  // namespace

struct HostAllocator::Impl {
  mutable std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;
  AllocatorStats stats;
  std::size_t cache_limit = std::size_t{2} << 30;
};

HostAllocator::HostAllocator() : impl_(new Impl) {
  if (const char* env = std::getenv("DREAMBOX_HOST_CACHE_MB")) {
    try {
      impl_->cache_limit = static_cast<std::size_t>(std::stoull(env)) << 20;
    } catch (const std::exception&) {
      // An unreadable value keeps the default; the variable is a tuning knob, not a required input.
    }
  }
}

HostAllocator& HostAllocator::instance() {
  static HostAllocator* allocator = new HostAllocator();  // never destroyed, see impl_
  return *allocator;
}

std::size_t HostAllocator::round_size(std::size_t nbytes) {
  if (nbytes <= kSmallest) return kSmallest;
  // Round up to a multiple of 1/8 of the enclosing power of two: waste stays under 12.5%.
  const std::size_t power = std::bit_floor(nbytes);
  const std::size_t step = std::max<std::size_t>(power / 8, kAlignment);
  return (nbytes + step - 1) / step * step;
}

void* HostAllocator::allocate(std::size_t nbytes, std::size_t* rounded_out) {
  const std::size_t rounded = round_size(nbytes);
  *rounded_out = rounded;
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->free_blocks.find(rounded);
    if (it != impl_->free_blocks.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      impl_->stats.cached_bytes -= rounded;
      impl_->stats.current_bytes += rounded;
      impl_->stats.peak_bytes = std::max(impl_->stats.peak_bytes, impl_->stats.current_bytes);
      return ptr;
    }
  }
  void* ptr = std::aligned_alloc(kAlignment, rounded);
  if (ptr == nullptr) {
    empty_cache();  // give cached memory back and try once more
    ptr = std::aligned_alloc(kAlignment, rounded);
    if (ptr == nullptr) throw std::bad_alloc();
  }
  std::lock_guard lock(impl_->mutex);
  impl_->stats.current_bytes += rounded;
  impl_->stats.peak_bytes = std::max(impl_->stats.peak_bytes, impl_->stats.current_bytes);
  return ptr;
}

void HostAllocator::release(void* ptr, std::size_t rounded) {
  if (ptr == nullptr) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stats.current_bytes -= rounded;
    if (impl_->stats.cached_bytes + rounded <= impl_->cache_limit) {
      impl_->free_blocks[rounded].push_back(ptr);
      impl_->stats.cached_bytes += rounded;
      return;
    }
  }
  std::free(ptr);
}

void HostAllocator::empty_cache() {
  std::unordered_map<std::size_t, std::vector<void*>> blocks;
  {
    std::lock_guard lock(impl_->mutex);
    blocks.swap(impl_->free_blocks);
    impl_->stats.cached_bytes = 0;
  }
  for (auto& [_, list] : blocks)
    for (void* p : list) std::free(p);
}

AllocatorStats HostAllocator::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

void HostAllocator::reset_peak() {
  std::lock_guard lock(impl_->mutex);
  impl_->stats.peak_bytes = impl_->stats.current_bytes;
}

void HostAllocator::set_cache_limit(std::size_t bytes) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->cache_limit = bytes;
  }
  if (stats().cached_bytes > bytes) empty_cache();
}

}  // namespace engine
