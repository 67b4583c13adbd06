// The CPU caching allocator: the shared CachingAllocator over 64-byte aligned host memory, its
// cache capped at 2 GiB (DREAMBOX_HOST_CACHE_MB) so that freed host memory does not pile up.
#include "engine/host_allocator.h"

#include <cstdlib>
#include <new>
#include <string>

namespace engine {

namespace {

constexpr std::size_t kAlignment = 64;

void* host_allocate(std::size_t bytes) {
  return std::aligned_alloc(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
}
void host_release(void* pointer) {
  std::free(pointer);
}
[[noreturn]] void host_out_of_memory(std::size_t, const AllocatorStats&) {
  throw std::bad_alloc();
}

std::size_t cache_limit_from_environment() {
  std::size_t limit = std::size_t{2} << 30;
  if (const char* env = std::getenv("DREAMBOX_HOST_CACHE_MB")) {
    try {
      limit = static_cast<std::size_t>(std::stoull(env)) << 20;
    } catch (const std::exception&) {
      // An unreadable value keeps the default; the variable is a tuning knob, not a required input.
    }
  }
  return limit;
}

}  // namespace

HostAllocator::HostAllocator()
    : cache_({host_allocate, host_release, host_out_of_memory}, cache_limit_from_environment()) {}

HostAllocator& HostAllocator::instance() {
  // Never destroyed: tensors may be freed during static destruction.
  static HostAllocator* allocator = new HostAllocator();
  return *allocator;
}

}  // namespace engine
