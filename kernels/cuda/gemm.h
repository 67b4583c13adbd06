// f32 matrix multiply on the device (the engine's matmul/bmm/linear path): a tiled shared-memory
// SGEMM with the BLAS contract on row-major matrices given by pointer and leading dimension.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C (device pointers, row-major, leading
// dimensions lda/ldb/ldc). op(A) = A, or with trans_a the transpose of a stored [k, m] matrix;
// likewise for B. With beta == 0, C is never read (it may hold NaN).
void gemm_f32(std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
              bool trans_a, const float* b, std::int64_t ldb, bool trans_b, float beta, float* c, std::int64_t ldc,
              cudaStream_t stream);

}  // namespace kernels::cuda
