// A block of memory owned by one or more tensors (shared through std::shared_ptr), uninitialised:
// CPU memory from the caching HostAllocator (64-byte aligned), CUDA memory from the backend's cache.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/device.h"

namespace engine {

class Storage {
 public:
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  std::size_t allocated_ = 0;  // the allocator's rounded size
  Device device_;
};

}  // namespace engine
