// A size-binned caching allocator over any raw memory source (host memory, CUDA device memory):
// freed blocks wait in per-size free lists and serve later requests of the same bin.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace engine {

struct AllocatorStats {
  std::size_t current_bytes = 0;    // in live blocks (rounded sizes)
  std::size_t peak_bytes = 0;       // highest current_bytes since start or reset_peak()
  std::size_t cached_bytes = 0;     // freed, kept for reuse
  std::size_t raw_allocations = 0;  // calls to the memory source (cache misses), ever
};

// Where fresh memory comes from. allocate returns nullptr when the source is out of memory (it may
// throw for other failures); out_of_memory reports a request that failed even after the cache was
// emptied (it must throw).
struct MemorySource {
  void* (*allocate)(std::size_t bytes);
  void (*release)(void* pointer);
  [[noreturn]] void (*out_of_memory)(std::size_t bytes, const AllocatorStats& stats);
};

class CachingAllocator {
 public:
  CachingAllocator(MemorySource source, std::size_t cache_limit);
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // The size is rounded up to its bin (rounded_out); a cached block of that bin is reused, else
  // the source is asked (after emptying the cache once if it is out of memory).
  void* allocate(std::size_t nbytes, std::size_t* rounded_out);
  void release(void* pointer,
               std::size_t rounded);  // back to the cache (or the source above the limit)
  void empty_cache();                 // gives every cached block back to the source
  AllocatorStats stats() const;
  void reset_peak();
  void set_cache_limit(std::size_t bytes);

  // Bins: 512 bytes at least, then multiples of 1/8 of the enclosing power of two (waste < 12.5%).
  static std::size_t round_size(std::size_t nbytes);

 private:
  void account_allocation(std::size_t rounded);  // with mutex_ held

  MemorySource source_;
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks_;  // rounded size -> blocks
  AllocatorStats stats_;
  std::size_t cache_limit_;
};

}  // namespace engine
