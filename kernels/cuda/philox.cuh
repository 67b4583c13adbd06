// Philox4x32-10 for device code: the bijection and block layout of engine/philox.h (host-only
// there), so CUDA kernels draw exactly the CPU generator's numbers (tests/simt/random_kernel_test).
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

struct PhiloxWords {
  std::uint32_t w[4];
};

// Ten rounds under key (k0, k1) of counter (c0, c1, c2, c3), constants of Salmon et al.
__host__ __device__ __forceinline__ PhiloxWords philox4x32_10(std::uint32_t c0,
                                                              std::uint32_t c1,
                                                              std::uint32_t c2,
                                                              std::uint32_t c3,
                                                              std::uint32_t k0,
                                                              std::uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0,
                        n1 = static_cast<std::uint32_t>(p1);
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1,
                        n3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
  }
  return {{c0, c1, c2, c3}};
}

// The element streams' block: counter = (64-bit block index, 0, 0), key = the 64-bit seed.
__host__ __device__ __forceinline__ PhiloxWords philox_block(std::uint64_t seed,
                                                             std::uint64_t block) {
  return philox4x32_10(static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                       0u, 0u, static_cast<std::uint32_t>(seed),
                       static_cast<std::uint32_t>(seed >> 32));
}

// uniform f32 element i of a draw starting at block `offset`: word i % 4 of block offset + i / 4,
// (w >> 8) * 2^-24 in [0, 1).
__host__ __device__ __forceinline__ float philox_uniform_f32(std::uint64_t seed,
                                                             std::uint64_t offset,
                                                             std::int64_t i) {
  const PhiloxWords b = philox_block(seed, offset + static_cast<std::uint64_t>(i / 4));
  return static_cast<float>(b.w[i % 4] >> 8) * 0x1.0p-24f;
}

}  // namespace kernels::cuda
