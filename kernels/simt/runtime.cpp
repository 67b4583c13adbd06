// The emulated CUDA runtime calls: host allocations tracked so that cudaFree refuses unknown
// pointers, synchronous copies, stream tags, per-kernel dynamic shared memory limits.
#include "kernels/simt/runtime.h"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kernels::simt::detail {
namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<const void*, std::size_t> allocations;  // base -> bytes
  std::unordered_map<const void*, std::size_t> shared_limits;  // kernel -> dynamic bytes
  std::unordered_map<cudaStream_t, std::unique_ptr<char>> streams;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

cudaError_t set_max_dynamic_shared(const void* kernel, int bytes) {
  if (bytes < 0 || static_cast<std::size_t>(bytes) > kMaxOptInSharedBytes) return cudaErrorInvalidValue;
  std::lock_guard lock(registry().mutex);
  registry().shared_limits[kernel] = static_cast<std::size_t>(bytes);
  return cudaSuccess;
}

std::size_t max_dynamic_shared(const void* kernel) {
  std::lock_guard lock(registry().mutex);
  const auto it = registry().shared_limits.find(kernel);
  return it == registry().shared_limits.end() ? kDefaultSharedBytes : it->second;
}

}  // namespace kernels::simt::detail

using kernels::simt::detail::registry;

cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  if (pointer == nullptr) return cudaErrorInvalidValue;
  const std::size_t rounded = (bytes + 255) / 256 * 256;
  void* memory = std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
  if (memory == nullptr) return cudaErrorMemoryAllocation;
  std::lock_guard lock(registry().mutex);
  registry().allocations[memory] = bytes;
  *pointer = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  if (pointer == nullptr) return cudaSuccess;
  std::lock_guard lock(registry().mutex);
  if (registry().allocations.erase(pointer) == 0)
    return cudaErrorInvalidDevicePointer;
  std::free(pointer);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind) {
  if (bytes != 0 && (dst == nullptr || src == nullptr)) return cudaErrorInvalidValue;
  if (bytes != 0) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

cudaError_t cudaMemset(void* pointer, int value, std::size_t bytes) {
  if (bytes != 0 && pointer == nullptr) return cudaErrorInvalidValue;
  if (bytes != 0) std::memset(pointer, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* pointer, int value, std::size_t bytes, cudaStream_t) {
  return cudaMemset(pointer, value, bytes);
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  if (stream == nullptr) return cudaErrorInvalidValue;
  auto tag = std::make_unique<char>();  // a unique address names the stream
  *stream = reinterpret_cast<cudaStream_t>(tag.get());
  std::lock_guard lock(registry().mutex);
  registry().streams.emplace(*stream, std::move(tag));
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  std::lock_guard lock(registry().mutex);
  return registry().streams.erase(stream) == 1 ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }  // launches are synchronous
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
cudaError_t cudaGetLastError() { return cudaSuccess; }
cudaError_t cudaPeekAtLastError() { return cudaSuccess; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}
