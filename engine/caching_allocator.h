// A size-binned caching allocator over any raw memory source (host memory, CUDA device memory):
// freed blocks wait in per-size free lists and serve later requests of the same bin; private pools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace engine {

struct AllocatorStats {
  std::size_t current_bytes = 0;    // in live blocks (rounded sizes)
  std::size_t peak_bytes = 0;       // highest current_bytes since start or reset_peak()
  std::size_t cached_bytes = 0;     // freed, kept for reuse
  std::size_t raw_allocations = 0;  // calls to the memory source (cache misses), ever
  std::size_t pool_bytes = 0;       // held by private pools (live or free), in no other count
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

  // Private pools, for CUDA graphs: the memory a captured graph touches must keep its addresses
  // and must not be handed to anyone else while the graph lives. Between begin_private_pool and
  // end_private_pool (one at a time), the calling thread's allocations come from the new pool's
  // own free lists or fresh memory (never from the shared cache), and every block released, by
  // any thread, joins the pool's free lists: reusable by later allocations of that capture only.
  // Blocks of a pool released after the capture go back to its free lists too. Fresh memory is
  // asked of the source without emptying the shared cache first. release_private_pool (the graph
  // is gone) gives the pool's free blocks back to the source, and its live blocks when they come
  // back; pool_bytes counts what pools hold.
  using PoolId = std::uint64_t;
  PoolId begin_private_pool();
  void end_private_pool();
  void release_private_pool(PoolId pool);
  bool routing_to_pool() const;  // between begin_private_pool and end_private_pool

  // Bins: 512 bytes at least, then multiples of 1/8 of the enclosing power of two (waste < 12.5%).
  static std::size_t round_size(std::size_t nbytes);

 private:
  struct Pool {
    std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // rounded size -> blocks
    std::size_t live = 0;   // blocks out in tensors
    std::size_t bytes = 0;  // live and free
    bool released = false;  // its graph is gone
  };
  void account_allocation(std::size_t rounded);  // with mutex_ held
  enum class Release { not_pooled, kept, to_source };  // what release_to_pool did with a block
  Release release_to_pool(void* pointer, std::size_t rounded);  // with mutex_ held

  MemorySource source_;
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks_;  // rounded size -> blocks
  AllocatorStats stats_;
  std::size_t cache_limit_;
  std::unordered_map<PoolId, Pool> pools_;
  std::unordered_map<void*, PoolId> pool_of_;  // every block a pool holds
  PoolId capturing_ = 0;                       // 0: none
  std::thread::id capture_thread_;
  PoolId next_pool_ = 1;
};

}  // namespace engine
