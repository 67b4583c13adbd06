// threadIdx, blockIdx, blockDim, gridDim and warpSize for emulated kernels. They are thread-local
// on the worker; the block scheduler sets threadIdx before it resumes each CUDA thread's fiber.
#pragma once

#include "kernels/simt/types.h"

inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};
inline constexpr int warpSize = 32;
