// CPU kernels of the Philox element streams (see engine/random.h for the exact mapping of
// element index to counter block and word, which the CUDA kernels share).
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace kernels::cpu {

// out (contiguous f32/f64) = low + (high - low) * U[0, 1)
void uniform(
    std::uint64_t seed, std::uint64_t offset, double low, double high, const engine::Tensor& out);
// out (contiguous f32/f64) = mean + std * N(0, 1)
void normal(
    std::uint64_t seed, std::uint64_t offset, double mean, double std, const engine::Tensor& out);
// out (contiguous i32/i64/f32/f64) = integers in [low, high)
void randint(std::uint64_t seed,
             std::uint64_t offset,
             std::int64_t low,
             std::int64_t high,
             const engine::Tensor& out);
// Raw 64-bit words of the randint stream (used as sort keys by randperm).
void random_u64(std::uint64_t seed, std::uint64_t offset, std::uint64_t* out, std::int64_t n);

// Philox blocks a draw of n elements consumes.
inline std::uint64_t uniform_blocks(std::int64_t n, engine::DType dtype) {
  const std::int64_t per_block = dtype == engine::DType::f32 ? 4 : 2;
  return static_cast<std::uint64_t>((n + per_block - 1) / per_block);
}
inline std::uint64_t pair_blocks(std::int64_t n) {
  return static_cast<std::uint64_t>((n + 1) / 2);
}

}  // namespace kernels::cpu
