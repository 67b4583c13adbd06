// The slice of the CUDA runtime API that launchers and tests use, emulated on the host:
// device memory is host memory, streams are tags (every launch is synchronous), errors are codes.
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <string>

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorIllegalState = 401,
  cudaErrorNotReady = 600,
  cudaErrorLaunchFailure = 719,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorStreamCaptureWrongThread = 908,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
};

struct CUstream_st;
using cudaStream_t = CUstream_st*;
struct CUevent_st;
using cudaEvent_t = CUevent_st*;
struct CUgraph_st;
using cudaGraph_t = CUgraph_st*;
struct CUgraphExec_st;
using cudaGraphExec_t = CUgraphExec_st*;
struct CUgraphNode_st;
using cudaGraphNode_t = CUgraphNode_st*;
enum cudaStreamCaptureMode {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2,
};
enum cudaStreamCaptureStatus {
  cudaStreamCaptureStatusNone = 0,
  cudaStreamCaptureStatusActive = 1,
  cudaStreamCaptureStatusInvalidated = 2,
};

// Allocations are 256-byte aligned like cudaMalloc's; cudaFree of an unknown pointer is an error.
cudaError_t cudaMalloc(void** pointer, std::size_t bytes);
template <typename T>
cudaError_t cudaMalloc(T** pointer, std::size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(pointer), bytes);
}
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* pointer, int value, std::size_t bytes);
cudaError_t cudaMemsetAsync(void* pointer, int value, std::size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize();
// Events: launches are synchronous, so recording one takes the host's steady clock at once and
// synchronizing on it returns at once; elapsed time of an unrecorded event is cudaErrorNotReady.
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);
// Stream capture and graphs (kernels/simt/graph.cpp): while a stream captures, launches, memsets
// and device-to-device copies on it are recorded (arguments copied) instead of run, and a
// launched graph runs them in order. Calls a capture cannot hold fail with
// cudaErrorStreamCaptureUnsupported and invalidate the capture, as on a GPU: host copies on the
// capturing stream and its synchronisation; cudaMalloc, cudaFree, synchronous copies/memsets and
// cudaDeviceSynchronize from a thread with an ongoing capture, unless the thread's mode is
// relaxed (cudaThreadExchangeStreamCaptureMode). Events cannot be recorded during a capture here.
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status);
cudaError_t cudaThreadExchangeStreamCaptureMode(cudaStreamCaptureMode* mode);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream);
cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, std::size_t* count);  // count only
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
cudaError_t cudaGetLastError();  // launches throw simt::Error instead of setting a sticky error
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t error);
const char* cudaGetErrorName(cudaError_t error);

template <typename T>
cudaError_t cudaMemcpyToSymbol(T& symbol, const void* src, std::size_t bytes, std::size_t offset = 0,
                               cudaMemcpyKind = cudaMemcpyHostToDevice) {
  if (offset + bytes > sizeof(T)) return cudaErrorInvalidValue;
  std::memcpy(reinterpret_cast<char*>(&symbol) + offset, src, bytes);
  return cudaSuccess;
}

namespace kernels::simt {
// Limits of the emulated device (an sm_90 GPU).
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr unsigned kMaxBlockDimZ = 64;
inline constexpr std::size_t kDefaultSharedBytes = 48 * 1024;  // without opting in, like CUDA
inline constexpr std::size_t kMaxOptInSharedBytes = 227 * 1024;  // sm_90 per-block maximum

namespace detail {
cudaError_t set_max_dynamic_shared(const void* kernel, int bytes);
std::size_t max_dynamic_shared(const void* kernel);  // kDefaultSharedBytes unless raised
// Stream capture (graph.cpp). record_if_capturing: when `stream` captures, keeps `work` as the
// next node and returns true (throws simt::Error when the capture was invalidated); else false.
bool any_capture_active();  // a cheap test before record_if_capturing
bool record_if_capturing(cudaStream_t stream, std::function<void()> work, const std::string& what);
// cudaErrorStreamCaptureUnsupported (invalidating this thread's captures) when this thread may
// not make a call that a capture cannot hold (see above); cudaSuccess otherwise.
cudaError_t check_unsafe_call();
// cudaErrorStreamCaptureUnsupported (invalidating the capture) when `stream` captures.
cudaError_t check_not_capturing(cudaStream_t stream);
}  // namespace detail
}  // namespace kernels::simt

// Raises the dynamic shared memory a kernel may request above 48 KiB (up to 227 KiB).
template <typename Kernel>
cudaError_t cudaFuncSetAttribute(Kernel* kernel, cudaFuncAttribute attribute, int value) {
  if (attribute != cudaFuncAttributeMaxDynamicSharedMemorySize) return cudaErrorInvalidValue;
  return ::kernels::simt::detail::set_max_dynamic_shared(reinterpret_cast<const void*>(kernel), value);
}
