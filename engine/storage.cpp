// CPU storage: aligned allocation (64 bytes, one cache line / one AVX-512 vector) and release.
// Asking for a CUDA storage in this build is an error that says so.
#include "engine/storage.h"

#include <cstdlib>
#include <new>

#include "engine/error.h"

namespace engine {

namespace {
constexpr std::size_t kAlignment = 64;
}

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  ENGINE_CHECK(device.is_cpu(), "cannot allocate on ", device.str(),
               ": this build has no CUDA backend yet (use device cpu)");
  const std::size_t rounded = (std::max<std::size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  if (data_ == nullptr) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data_); }

}  // namespace engine
