// Compiling AVX-512 code paths: DREAMBOX_AVX512_KERNEL is defined when this build has them, and
// AVX512_TARGET / AVX512_INLINE mark functions compiled for AVX-512F (plain ones without it).
#pragma once

#if defined(DREAMBOX_AVX512) && defined(__x86_64__)
// GCC 12 reports the _mm512_undefined_* placeholders inside the shuffle intrinsics it inlines into
// target("avx512f") functions as uninitialized (a false positive in its own header).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define DREAMBOX_AVX512_KERNEL 1
#define AVX512_TARGET __attribute__((target("avx512f,fma")))
#define AVX512_INLINE __attribute__((target("avx512f,fma"), always_inline)) inline
#include <cstdint>

namespace kernels::cpu {
// The mask of the first n of 16 float lanes (none for n <= 0, all for n >= 16): loop tails.
AVX512_INLINE __mmask16 first_lanes(std::int64_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xFFFFu : n <= 0 ? 0u : (1u << n) - 1u);
}
}  // namespace kernels::cpu
#else
#define AVX512_TARGET
#define AVX512_INLINE inline
#endif
