// Internal to the emu and native CUDA backends: the one stream every kernel and copy of the
// backend is queued on, and the device pointer of a cuda tensor.
#pragma once

#include "engine/tensor.h"
#include "kernels/cuda/runtime.cuh"

namespace engine::cuda_backend {

// Created on first use (after the device check); work on it runs in order, so a block freed to
// the caching allocator may be reused by later work at once.
cudaStream_t stream();

template <typename T = void>
T* device_pointer(const Tensor& t) {
  return static_cast<T*>(t.cuda_data());
}

}  // namespace engine::cuda_backend
