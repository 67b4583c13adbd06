// Internal to the emu and native CUDA backends: the one stream every kernel and copy of the
// backend is queued on, its caching allocator, and the device pointers of cuda tensors.
#pragma once

#include "engine/caching_allocator.h"
#include "engine/tensor.h"
#include "kernels/cuda/runtime.cuh"

namespace engine::cuda_backend {

// Created on first use (after the device check); work on it runs in order, so a block freed to
// the caching allocator may be reused by later work at once.
cudaStream_t stream();

CachingAllocator& device_allocator();  // behind allocate/release (graphs add private pools)

// Throws an error naming `what` when the stream is being captured as a CUDA graph: for the calls
// a graph cannot hold (read-backs, host copies, synchronisation, freeing cached memory).
void refuse_during_capture(const char* what);

template <typename T = void>
T* device_pointer(const Tensor& t) {
  return static_cast<T*>(t.cuda_data());
}

// The device pointer of a contiguous f32 tensor (nullptr for an undefined optional one); any
// other tensor is an error naming the op.
inline float* f32(const Tensor& t, const char* op) {
  if (!t.defined()) return nullptr;
  ENGINE_CHECK(t.dtype() == DType::f32, op, ": no CUDA kernel yet for dtype ",
               dtype_name(t.dtype()), " (", t.str(), "); f32 only");
  ENGINE_CHECK(t.is_contiguous() || t.numel() == 0, op,
               ": the CUDA kernel needs contiguous tensors, got ", t.str());
  return device_pointer<float>(t);
}

// The same for the kernels that also take i64 data (index tensors, labels).
inline std::int64_t* i64(const Tensor& t, const char* op) {
  ENGINE_CHECK(t.dtype() == DType::i64, op, ": expected an i64 tensor, got ", t.str());
  ENGINE_CHECK(t.is_contiguous() || t.numel() == 0, op,
               ": the CUDA kernel needs contiguous tensors, got ", t.str());
  return device_pointer<std::int64_t>(t);
}

}  // namespace engine::cuda_backend
