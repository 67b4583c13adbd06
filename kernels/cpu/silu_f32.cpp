// The vector f32 silu of silu_f32.h over contiguous arrays (16 lanes, a masked tail) and for
// single strided values (one lane), so that every f32 silu on an AVX-512 CPU gives the same bits.
#include "kernels/cpu/silu_f32.h"

#include <algorithm>

#include "engine/error.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/sgemm_avx512.h"

namespace kernels::cpu {

bool silu_f32_vectorized() {
#ifdef DREAMBOX_AVX512_KERNEL
  return sgemm_avx512_available();
#else
  return false;
#endif
}

#ifdef DREAMBOX_AVX512_KERNEL

namespace {

AVX512_TARGET void silu_span(const float* src, float* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = first_lanes(n - i);
    _mm512_mask_storeu_ps(dst + i, m, silu512(_mm512_maskz_loadu_ps(m, src + i)));
  }
}

}  // namespace

void silu_f32(const float* src, float* dst, std::int64_t n) {
  parallel_for((n + 15) / 16, 64, [&](std::int64_t begin, std::int64_t end) {
    silu_span(src + begin * 16, dst + begin * 16, std::min(n, end * 16) - begin * 16);
  });
}

AVX512_TARGET float silu_f32_one(float v) {
  return _mm512_cvtss_f32(silu512(_mm512_set1_ps(v)));
}

#else

void silu_f32(const float*, float*, std::int64_t) {
  ENGINE_FAIL("silu_f32: this build has no AVX-512 kernel");
}

float silu_f32_one(float) {
  ENGINE_FAIL("silu_f32_one: this build has no AVX-512 kernel");
}

#endif

}  // namespace kernels::cpu
