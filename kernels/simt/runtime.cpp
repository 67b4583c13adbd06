// The emulated CUDA runtime calls: host allocations tracked so that cudaFree refuses unknown
// pointers, synchronous copies (recorded instead on a capturing stream, graph.cpp), stream tags,
// host-clock events, per-kernel dynamic shared memory limits.
#include "kernels/simt/runtime.h"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kernels::simt::detail {
namespace {

// An event: its naming tag and its recorded host time (empty until the first record).
struct EventState {
  std::unique_ptr<char> tag;
  std::optional<std::chrono::steady_clock::time_point> recorded;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<const void*, std::size_t> allocations;  // base -> bytes
  std::unordered_map<const void*, std::size_t> shared_limits;  // kernel -> dynamic bytes
  std::unordered_map<cudaStream_t, std::unique_ptr<char>> streams;
  std::unordered_map<cudaEvent_t, EventState> events;
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

using kernels::simt::detail::check_not_capturing;
using kernels::simt::detail::check_unsafe_call;
using kernels::simt::detail::record_if_capturing;
using kernels::simt::detail::registry;

#define RETURN_IF_ERROR(call)                      \
  do {                                             \
    const cudaError_t runtime_error_ = (call);     \
    if (runtime_error_ != cudaSuccess) return runtime_error_; \
  } while (0)

cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  if (pointer == nullptr) return cudaErrorInvalidValue;
  RETURN_IF_ERROR(check_unsafe_call());
  const std::size_t rounded = (bytes + 255) / 256 * 256;
  void* memory = std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
  if (memory == nullptr) return cudaErrorMemoryAllocation;
  std::lock_guard lock(registry().mutex);
  registry().allocations[memory] = bytes;
  *pointer = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  RETURN_IF_ERROR(check_unsafe_call());
  if (pointer == nullptr) return cudaSuccess;
  std::lock_guard lock(registry().mutex);
  if (registry().allocations.erase(pointer) == 0)
    return cudaErrorInvalidDevicePointer;
  std::free(pointer);
  return cudaSuccess;
}

namespace {
cudaError_t copy_now(void* dst, const void* src, std::size_t bytes) {
  if (bytes != 0 && (dst == nullptr || src == nullptr)) return cudaErrorInvalidValue;
  if (bytes != 0) std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t set_now(void* pointer, int value, std::size_t bytes) {
  if (bytes != 0 && pointer == nullptr) return cudaErrorInvalidValue;
  if (bytes != 0) std::memset(pointer, value, bytes);
  return cudaSuccess;
}
}  // namespace

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind) {
  RETURN_IF_ERROR(check_unsafe_call());
  return copy_now(dst, src, bytes);
}

// A capture holds device-to-device copies only: host memory here is pageable.
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  if (kind != cudaMemcpyDeviceToDevice) {
    RETURN_IF_ERROR(check_not_capturing(stream));
  } else if (record_if_capturing(stream, [=] { copy_now(dst, src, bytes); }, "cudaMemcpyAsync")) {
    return bytes != 0 && (dst == nullptr || src == nullptr) ? cudaErrorInvalidValue : cudaSuccess;
  }
  return copy_now(dst, src, bytes);
}

cudaError_t cudaMemset(void* pointer, int value, std::size_t bytes) {
  RETURN_IF_ERROR(check_unsafe_call());
  return set_now(pointer, value, bytes);
}

cudaError_t cudaMemsetAsync(void* pointer, int value, std::size_t bytes, cudaStream_t stream) {
  if (record_if_capturing(stream, [=] { set_now(pointer, value, bytes); }, "cudaMemsetAsync"))
    return bytes != 0 && pointer == nullptr ? cudaErrorInvalidValue : cudaSuccess;
  return set_now(pointer, value, bytes);
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

// Launches are synchronous: nothing to wait for, but a capturing stream cannot be waited on.
cudaError_t cudaStreamSynchronize(cudaStream_t stream) { return check_not_capturing(stream); }
cudaError_t cudaDeviceSynchronize() { return check_unsafe_call(); }

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  if (event == nullptr) return cudaErrorInvalidValue;
  auto tag = std::make_unique<char>();  // a unique address names the event
  *event = reinterpret_cast<cudaEvent_t>(tag.get());
  std::lock_guard lock(registry().mutex);
  registry().events.emplace(*event, kernels::simt::detail::EventState{std::move(tag), std::nullopt});
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  std::lock_guard lock(registry().mutex);
  return registry().events.erase(event) == 1 ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  RETURN_IF_ERROR(check_not_capturing(stream));  // event nodes are not emulated
  const auto now = std::chrono::steady_clock::now();  // all queued work has run already
  std::lock_guard lock(registry().mutex);
  const auto it = registry().events.find(event);
  if (it == registry().events.end()) return cudaErrorInvalidResourceHandle;
  it->second.recorded = now;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  std::lock_guard lock(registry().mutex);
  return registry().events.count(event) == 1 ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (ms == nullptr) return cudaErrorInvalidValue;
  std::lock_guard lock(registry().mutex);
  const auto a = registry().events.find(start), b = registry().events.find(end);
  if (a == registry().events.end() || b == registry().events.end())
    return cudaErrorInvalidResourceHandle;
  if (!a->second.recorded || !b->second.recorded) return cudaErrorNotReady;
  *ms = std::chrono::duration<float, std::milli>(*b->second.recorded - *a->second.recorded).count();
  return cudaSuccess;
}
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
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureWrongThread: return "cudaErrorStreamCaptureWrongThread";
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
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated:
      return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureWrongThread:
      return "attempt to terminate a thread-local capture sequence from another thread";
  }
  return "unknown error";
}
