// CudaEvent of the emu and native CUDA backends: cudaEventCreate / Record on the backend's stream /
// Synchronize / ElapsedTime, every call checked; the event is destroyed with its owner.
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/check.cuh"

namespace engine::cuda_backend {

namespace {
cudaEvent_t event_of(void* handle) {
  return static_cast<cudaEvent_t>(handle);
}
}  // namespace

CudaEvent::CudaEvent() {
  ENGINE_CHECK(available(), "creating a CUDA event: ", description());
  cudaEvent_t event = nullptr;
  CUDA_CHECK(cudaEventCreate(&event));
  handle_ = event;
}

CudaEvent::~CudaEvent() {
  cudaEventDestroy(event_of(handle_));  // no throwing from a destructor
}

void CudaEvent::record() {
  refuse_during_capture("recording a CUDA event");
  CUDA_CHECK(cudaEventRecord(event_of(handle_), stream()));
}

void CudaEvent::synchronize() const {
  refuse_during_capture("waiting for a CUDA event");
  CUDA_CHECK(cudaEventSynchronize(event_of(handle_)));
}

float CudaEvent::elapsed_ms(const CudaEvent& start, const CudaEvent& end) {
  end.synchronize();
  float ms = 0.0f;
  const cudaError_t error =
      cudaEventElapsedTime(&ms, event_of(start.handle_), event_of(end.handle_));
  if (error == cudaErrorNotReady || error == cudaErrorInvalidResourceHandle) {
    cudaGetLastError();  // not sticky: clear it
    ENGINE_FAIL("CudaEvent::elapsed_ms: both events must have been recorded first (",
                cudaGetErrorString(error), ")");
  }
  CUDA_CHECK(error);
  return ms;
}

}  // namespace engine::cuda_backend
