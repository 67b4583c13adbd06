// CPU storage: memory from the caching HostAllocator (64-byte aligned), returned on release.
// Asking for a CUDA storage in this build is an error that says so.
#include "engine/storage.h"

#include "engine/error.h"
#include "engine/host_allocator.h"

namespace engine {

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  ENGINE_CHECK(device.is_cpu(), "cannot allocate on ", device.str(),
               ": this build has no CUDA backend yet (use device cpu)");
  data_ = HostAllocator::instance().allocate(nbytes, &allocated_);
}

Storage::~Storage() {
  HostAllocator::instance().release(data_, allocated_);
}

}  // namespace engine
