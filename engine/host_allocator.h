// Caching allocator for CPU tensor memory: freed blocks are kept in size bins and handed out
// again, because first-touch page faults on fresh memory cost more than the ops themselves.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine {

struct AllocatorStats {
  std::size_t current_bytes = 0;  // in live tensors (rounded sizes)
  std::size_t peak_bytes = 0;     // highest current_bytes since start or reset_peak()
  std::size_t cached_bytes = 0;   // freed, kept for reuse
};

class HostAllocator {
 public:
  static HostAllocator& instance();
  // 64-byte aligned; the size is rounded up to its bin (at most 1/8 larger). Throws bad_alloc.
  void* allocate(std::size_t nbytes, std::size_t* rounded_out);
  void release(void* ptr, std::size_t rounded);
  void empty_cache();  // frees every cached block
  AllocatorStats stats() const;
  void reset_peak();
  // Cached memory above this limit is freed instead of kept (default 2 GiB, or the environment
  // variable DREAMBOX_HOST_CACHE_MB).
  void set_cache_limit(std::size_t bytes);

  static std::size_t round_size(std::size_t nbytes);

 private:
  HostAllocator();
  struct Impl;
  Impl* impl_;  // lives for the whole process (tensors may be freed during static destruction)
};

}  // namespace engine
