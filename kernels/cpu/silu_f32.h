// The CPU's f32 silu, x / (1 + exp(-x)) as x * (1 / (1 + exp(-x))): on AVX-512 builds and CPUs one
// vector definition (exp512) shared by the unary op and the fused group_norm_silu (same bits).
#pragma once

#include <cstdint>

#include "kernels/cpu/avx512_exp.h"

namespace kernels::cpu {

#ifdef DREAMBOX_AVX512_KERNEL
// silu of 16 floats: the definition.
AVX512_INLINE __m512 silu512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.f);
  return _mm512_mul_ps(
      x, _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x)))));
}
#endif

// Whether f32 silu takes the vector definition (AVX-512 build and CPU); else it is the scalar
// v * (1 / (1 + expf(-v))).
bool silu_f32_vectorized();

// dst[i] = silu(src[i]) for i < n (dst may equal src), split over the threads. Requires
// silu_f32_vectorized().
void silu_f32(const float* src, float* dst, std::int64_t n);

// silu of one value by the vector definition (strided tensors). Requires silu_f32_vectorized().
float silu_f32_one(float v);

}  // namespace kernels::cpu
