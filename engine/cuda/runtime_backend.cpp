// The device side of the emu and native CUDA backends: the availability check, the stream, the
// caching allocator over cudaMalloc, transfers and synchronisation (every call CUDA_CHECKed).
#include <mutex>
#include <string>

#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/check.cuh"

namespace engine::cuda_backend {

namespace {

struct Device {
  bool usable = false;
  std::string description;
  cudaStream_t stream = nullptr;
};

const Device& device() {
  static const Device* instance = [] {
    auto* d = new Device();  // never destroyed: tensors may be freed during static destruction
#if defined(DREAMBOX_SIMT)
    d->usable = true;
    d->description = "SIMT emulator (kernels/simt: CUDA threads as fibers on the CPU)";
#else
    int count = 0;
    const cudaError_t error = cudaGetDeviceCount(&count);
    if (error != cudaSuccess || count == 0) {
      d->description = std::string("CUDA build but no GPU found: ") +
                       (error != cudaSuccess ? cudaGetErrorString(error) : "no CUDA device");
      cudaGetLastError();  // clear the error so that later calls are not poisoned by it
      return d;
    }
    cudaDeviceProp props{};
    CUDA_CHECK(cudaGetDeviceProperties(&props, 0));
    d->usable = true;
    d->description = std::string(props.name) + " (sm_" + std::to_string(props.major) +
                     std::to_string(props.minor) + ")";
#endif
    CUDA_CHECK(cudaStreamCreate(&d->stream));
    return d;
  }();
  return *instance;
}

const Device& usable_device(const char* what) {
  const Device& d = device();
  ENGINE_CHECK(d.usable, what, ": ", d.description);
  return d;
}

// cudaMalloc in relaxed capture mode: a graph's private pool grows while the stream captures.
class RelaxedCaptureMode {
 public:
  RelaxedCaptureMode() { CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode_)); }
  ~RelaxedCaptureMode() { cudaThreadExchangeStreamCaptureMode(&mode_); }
  RelaxedCaptureMode(const RelaxedCaptureMode&) = delete;
  RelaxedCaptureMode& operator=(const RelaxedCaptureMode&) = delete;

 private:
  cudaStreamCaptureMode mode_ = cudaStreamCaptureModeRelaxed;
};

void* device_malloc(std::size_t bytes) {
  void* pointer = nullptr;
  const cudaError_t error = [&] {
    RelaxedCaptureMode relaxed;
    return cudaMalloc(&pointer, bytes);
  }();
  if (error == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // out of memory is not sticky; clear it and let the cache be emptied
    return nullptr;
  }
  CUDA_CHECK(error);
  return pointer;
}

void device_free(void* pointer) {
  cudaFree(pointer);  // no throwing on the release path (runs in destructors)
}

[[noreturn]] void device_out_of_memory(std::size_t bytes, const AllocatorStats& stats) {
  ENGINE_FAIL("CUDA out of memory: ", bytes, " bytes requested with ", stats.current_bytes,
              " bytes in live tensors (peak ", stats.peak_bytes,
              "); use smaller batches or free tensors");
}

}  // namespace

CachingAllocator& device_allocator() {
  static CachingAllocator* instance = new CachingAllocator(
      {device_malloc, device_free, device_out_of_memory}, static_cast<std::size_t>(-1));
  return *instance;
}

bool is_capturing() {
  if (!device().usable) return false;
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream(), &status));
  return status != cudaStreamCaptureStatusNone;
}

void refuse_during_capture(const char* what) {
  ENGINE_CHECK(!is_capturing(), what,
               " is not possible while the CUDA stream is being captured as a graph: a graph holds "
               "device work only (kernels, fills, device copies); do it before the capture or after "
               "it, or turn graph capture off (--cuda-graph off)");
}

cudaStream_t stream() {
  return usable_device("CUDA stream").stream;
}

bool available() {
  return device().usable;
}

std::string description() {
  return device().description;
}

void* allocate(std::size_t nbytes, std::size_t* rounded_out) {
  usable_device("allocating cuda memory");
  return device_allocator().allocate(nbytes, rounded_out);
}

void release(void* pointer, std::size_t rounded) {
  device_allocator().release(pointer, rounded);
}

AllocatorStats memory_stats() {
  return device_allocator().stats();
}

void empty_cache() {
  refuse_during_capture("empty_cache (freeing cached cuda memory)");
  device_allocator().empty_cache();
}

void reset_peak() {
  device_allocator().reset_peak();
}

void copy_to_device(void* device_dst, const void* host_src, std::size_t bytes) {
  if (bytes == 0) return;
  refuse_during_capture("copying host data to cuda (.to(cuda), from_vector, arange on cuda)");
  CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream()));
}

void copy_to_host(void* host_dst, const void* device_src, std::size_t bytes) {
  if (bytes == 0) return;
  refuse_during_capture("reading cuda data back to the host (.item(), to_vector, .cpu())");
  CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream()));
  CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void synchronize() {
  refuse_during_capture("synchronize (waiting for the queued cuda work)");
  CUDA_CHECK(cudaStreamSynchronize(stream()));
}

}  // namespace engine::cuda_backend
