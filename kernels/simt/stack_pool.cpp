// Guarded, recycled fiber stacks: one mmap per stack the first time a worker needs it, the
// lowest page made inaccessible so that a kernel overflowing its stack stops with SIGSEGV.
#include "kernels/simt/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernels/simt/error.h"

namespace kernels::simt::detail {

StackPool::StackPool(std::size_t stack_bytes) : page_bytes_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {
  stack_bytes_ = (stack_bytes + page_bytes_ - 1) / page_bytes_ * page_bytes_;
}

StackPool::~StackPool() {
  for (void* mapping : mappings_) munmap(mapping, stack_bytes_ + page_bytes_);
}

boost::context::stack_context StackPool::allocate() {
  boost::context::stack_context stack;
  stack.size = stack_bytes_;
  if (!free_.empty()) {
    stack.sp = free_.back();
    free_.pop_back();
    return stack;
  }
  const std::size_t total = stack_bytes_ + page_bytes_;
  void* mapping = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED)
    fail("cannot map a ", stack_bytes_ / 1024, " KiB fiber stack: ", std::strerror(errno),
         " (lower DREAMBOX_SIMT_STACK_KB or the block size)");
  mprotect(mapping, page_bytes_, PROT_NONE);  // guard page below the stack
  mappings_.push_back(mapping);
  stack.sp = static_cast<char*>(mapping) + total;  // stacks grow down from the top
  return stack;
}

void StackPool::deallocate(boost::context::stack_context& stack) noexcept {
  try {
    free_.push_back(stack.sp);
  } catch (...) {  // out of memory while recycling: the mapping is still freed by the destructor
  }
}

}  // namespace kernels::simt::detail
