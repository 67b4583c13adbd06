// Elementwise kernels over any strides and broadcasts (StridedIndex geometry, operand 0 the
// output): fill, dtype-converting copy, unary math and its derivative, binary ops, where, clamp.
#pragma once

#include <cstdint>

#include "engine/dtype.h"
#include "engine/op_kinds.h"
#include "kernels/cuda/runtime.cuh"
#include "kernels/cuda/strided_index.h"

// Device pointers point at element [0, ..., 0] of each operand; n = elements of the index space.
// Everything is asynchronous on `stream`. Unsupported op/dtype pairs throw std::invalid_argument
// naming the op ("<op>: no CUDA kernel yet for dtype ...").
namespace kernels::cuda {

// Every dtype; value converted as the CPU fill converts it.
void fill(engine::DType dtype, void* dst, double value, const StridedIndex<1>& index, std::int64_t n,
          cudaStream_t stream);
// out[i] = start + i * step, rounded in f64 as the CPU's arange, then converted; f32 f64 i32 i64.
void arange(engine::DType dtype, void* out, double start, double step, std::int64_t n, cudaStream_t stream);
// Any dtype pair (f16/bf16 through f32, to bool = not zero).
void copy(engine::DType src_dtype, const void* src, engine::DType dst_dtype, void* dst,
          const StridedIndex<2>& index, std::int64_t n, cudaStream_t stream);
// f32 math; neg/abs/square/sign also on i32/i64; logical_not on bool. out has x's dtype.
void unary(engine::UnaryOp op, engine::DType dtype, const void* x, void* out, const StridedIndex<2>& index,
           std::int64_t n, cudaStream_t stream);
// grad_x = grad * op'(x) (y = op(x)); f32. Operands: grad_x, grad, x, y.
void unary_backward(engine::UnaryOp op, engine::DType dtype, const void* grad, const void* x, const void* y,
                    void* grad_x, const StridedIndex<4>& index, std::int64_t n, cudaStream_t stream);
// Arithmetic on f32/i32/i64 (pow on f32), comparisons and logical ops on every non-16-bit dtype
// (bool output). Operands: out, a, b.
void binary(engine::BinaryOp op, engine::DType dtype, const void* a, const void* b, void* out,
            const StridedIndex<3>& index, std::int64_t n, cudaStream_t stream);
// out = cond ? a : b, every dtype. Operands: out, cond, a, b.
void where(engine::DType dtype, const bool* cond, const void* a, const void* b, void* out,
           const StridedIndex<4>& index, std::int64_t n, cudaStream_t stream);
// out = min(max(x, lo), hi) on f32/f64/i32/i64 (bounds cast to the dtype).
void clamp(engine::DType dtype, const void* x, void* out, double lo, double hi, const StridedIndex<2>& index,
           std::int64_t n, cudaStream_t stream);

}  // namespace kernels::cuda
