// CUDA_CHECK(call): every CUDA runtime call checked, failures thrown as kernels::cuda::CudaError
// with the call, file and line; the same macro works against the emulated runtime.
#pragma once

#include <stdexcept>
#include <string>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The errors of a call that a CUDA graph capture cannot hold, or of work after such a call.
inline bool is_capture_error(cudaError_t error) {
  return error == cudaErrorStreamCaptureUnsupported || error == cudaErrorStreamCaptureInvalidated ||
         error == cudaErrorStreamCaptureWrongThread;
}

// What to add to the message of such an error ("" for any other).
inline std::string capture_hint(cudaError_t error) {
  return is_capture_error(error)
             ? "; the stream is being captured as a CUDA graph and this call cannot be part of it (host "
               "copies, synchronisation, cudaMalloc/cudaFree): move it before the capture or after it"
             : "";
}

[[noreturn]] inline void throw_cuda_error(cudaError_t error, const char* what, const char* file, int line) {
  throw CudaError(std::string(file) + ":" + std::to_string(line) + ": " + what + " failed: " +
                  cudaGetErrorName(error) + " (" + cudaGetErrorString(error) + ")" + capture_hint(error));
}

}  // namespace kernels::cuda

#define CUDA_CHECK(call)                                                          \
  do {                                                                            \
    const cudaError_t cuda_check_error_ = (call);                                 \
    if (cuda_check_error_ != cudaSuccess)                                         \
      ::kernels::cuda::throw_cuda_error(cuda_check_error_, #call, __FILE__, __LINE__); \
  } while (0)
