// CUDA's function and variable qualifiers for g++: __global__/__device__/__host__ vanish,
// __shared__ becomes worker-thread-local storage (see README.md, "Shared memory").
#pragma once

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)
// __restrict__ is already a GCC keyword.

// Static shared memory. A block runs entirely on one worker thread (all its fibers share that
// thread), and a worker runs one block at a time, so a worker-thread-local object is exactly one
// object per running block: every fiber of the block sees it, and blocks running in parallel on
// other workers see their own. At block scope thread_local implies static storage, so
// `__shared__ float tile[32][32];` in a kernel or __device__ function is one array per worker.
// Like CUDA, its contents are undefined at block start (it keeps the previous block's data).
// `extern __shared__` cannot be expressed this way: dynamic shared memory goes through
// DYNAMIC_SHARED(T, name) from kernels/cuda/runtime.cuh.
#define __shared__ thread_local

// Compiled by the emulator (what kernel code may test instead of __CUDA_ARCH__).
#define SIMT_EMULATION 1
