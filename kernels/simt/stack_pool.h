// Fiber stacks for the emulator: fixed-size mmap'd stacks with a guard page (an overflow faults
// instead of corrupting memory), recycled per worker so a block start allocates nothing.
#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace kernels::simt::detail {

class StackPool {
 public:
  explicit StackPool(std::size_t stack_bytes);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& stack) noexcept;
  std::size_t stack_bytes() const { return stack_bytes_; }

 private:
  std::size_t stack_bytes_;  // usable bytes, a multiple of the page size
  std::size_t page_bytes_;
  std::vector<void*> free_;  // top-of-stack pointers ready for reuse
  std::vector<void*> mappings_;  // every mapping, unmapped by the destructor
};

// The StackAllocator Boost.Context copies into each fiber: a handle on the worker's pool.
struct PooledStack {
  StackPool* pool;
  boost::context::stack_context allocate() { return pool->allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool->deallocate(stack); }
};

}  // namespace kernels::simt::detail
