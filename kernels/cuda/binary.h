// Elementwise binary arithmetic on contiguous f32 arrays of one length (add, sub, mul, div,
// maximum, minimum), launched on the device; the fast path behind engine::binary on CUDA.
#pragma once

#include <cstdint>

#include "engine/op_kinds.h"
#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// out[i] = a[i] op b[i] for i < n (device pointers; out may alias a or b). Uses 16-byte vector
// accesses when all three pointers are 16-byte aligned. Asynchronous on `stream`.
void binary_contiguous_f32(engine::BinaryOp op, const float* a, const float* b, float* out, std::int64_t n,
                           cudaStream_t stream);

}  // namespace kernels::cuda
