// Random f32 tensors and dropout on the device from the Philox element streams of engine/random.h:
// the same (seed, offset) gives the same numbers as the CPU generator.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// `offset` is the first Philox block of the draw (engine::Generator::reserve); a draw of n f32
// uniforms uses (n + 3) / 4 blocks, n normals (n + 1) / 2. Device pointers, asynchronous.

// out[i] = low + (high - low) * U[0, 1) (element i: word i % 4 of block offset + i / 4).
void uniform_f32(std::uint64_t seed,
                 std::uint64_t offset,
                 double low,
                 double high,
                 float* out,
                 std::int64_t n,
                 cudaStream_t stream);
// out[i] = mean + std * N(0, 1), Box-Muller's cos branch in double on words 2(i%2), 2(i%2)+1 of
// block offset + i / 2.
void normal_f32(std::uint64_t seed,
                std::uint64_t offset,
                double mean,
                double std,
                float* out,
                std::int64_t n,
                cudaStream_t stream);
// out[i] (i64) = low + floor(W_i * (high - low) / 2^64), W_i the 64-bit word pair 2(i%2), 2(i%2)+1
// of block offset + i / 2 (low word first): the CPU's randint stream. low < high.
void randint_i64(std::uint64_t seed,
                 std::uint64_t offset,
                 std::int64_t low,
                 std::int64_t high,
                 std::int64_t* out,
                 std::int64_t n,
                 cudaStream_t stream);
// Dropout with drop probability p in [0, 1): keep element i when its uniform (as uniform_f32) is
// below 1 - p; out = x * scale_mask with scale_mask[i] = keep ? 1 / (1 - p) : 0 (stored when
// non-null; the backward is grad * scale_mask). Same mask as engine::dropout on the CPU for the
// same generator state. out may alias x.
void dropout_f32(const float* x,
                 std::int64_t n,
                 double p,
                 std::uint64_t seed,
                 std::uint64_t offset,
                 float* out,
                 float* scale_mask,
                 cudaStream_t stream);

}  // namespace kernels::cuda
