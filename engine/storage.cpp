// Storage: CPU memory from the caching HostAllocator, cuda:0 memory from the CUDA backend's
// caching allocator (whose stub, in a build without CUDA, refuses with a clear error).
#include "engine/storage.h"

#include "engine/cuda_backend.h"
#include "engine/error.h"
#include "engine/host_allocator.h"

namespace engine {

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = HostAllocator::instance().allocate(nbytes, &allocated_);
    return;
  }
  ENGINE_CHECK(device.index == 0, "cannot allocate on ", device.str(),
               ": only cuda:0 is supported (one GPU per process)");
  data_ = cuda_backend::allocate(nbytes, &allocated_);
}

Storage::~Storage() {
  if (device_.is_cpu())
    HostAllocator::instance().release(data_, allocated_);
  else
    cuda_backend::release(data_, allocated_);
}

}  // namespace engine
