// Caching allocator for CPU tensor memory: freed blocks are kept in size bins and handed out
// again, because first-touch page faults on fresh memory cost more than the ops themselves.
#pragma once

#include <cstddef>

#include "engine/caching_allocator.h"

namespace engine {

class HostAllocator {
 public:
  static HostAllocator& instance();
  // 64-byte aligned; the size is rounded up to its bin (at most 1/8 larger). Throws bad_alloc.
  void* allocate(std::size_t nbytes, std::size_t* rounded_out) {
    return cache_.allocate(nbytes, rounded_out);
  }
  void release(void* ptr, std::size_t rounded) { cache_.release(ptr, rounded); }
  void empty_cache() { cache_.empty_cache(); }  // frees every cached block
  AllocatorStats stats() const { return cache_.stats(); }
  void reset_peak() { cache_.reset_peak(); }
  // Cached memory above this limit is freed instead of kept (default 2 GiB, or the environment
  // variable DREAMBOX_HOST_CACHE_MB).
  void set_cache_limit(std::size_t bytes) { cache_.set_cache_limit(bytes); }

  static std::size_t round_size(std::size_t nbytes) { return CachingAllocator::round_size(nbytes); }

 private:
  HostAllocator();
  CachingAllocator cache_;
};

}  // namespace engine
