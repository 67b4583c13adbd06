// The first include of every kernels/cuda source: CUDA's runtime under nvcc, the SIMT emulator
// (kernels/simt) under g++, and DYNAMIC_SHARED, the one spelling of dynamic shared memory both take.
#pragma once

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#elif defined(DREAMBOX_SIMT)
#include "kernels/simt/cuda.h"
#else
#include <cuda_runtime_api.h>  // g++ host code of a native CUDA build: launcher declarations only
#endif

// DYNAMIC_SHARED(T, name): `name` points at the block's dynamic shared memory (the shared_bytes
// given at the launch), 16-byte aligned. Use it instead of `extern __shared__ T name[];`, which
// g++ cannot emulate. In emulation `name[i]` is bounds-checked; write `&name[k]` (not a cast of
// `name`) where a typed pointer is needed.
#if defined(__CUDACC__)
#define DYNAMIC_SHARED(T, name)                                           \
  extern __shared__ __align__(16) unsigned char dreambox_dynamic_shared_[]; \
  T* name = reinterpret_cast<T*>(dreambox_dynamic_shared_)
#else
#define DYNAMIC_SHARED(T, name) ::kernels::simt::SharedArray<T> name = ::kernels::simt::dynamic_shared<T>()
#endif
