// exp of 16 floats at once on AVX-512 (Cephes' expf polynomial after the reduction
// x = n ln2 + r, |r| <= ln2 / 2, then 2^n by vscalefps); within 1 ulp of expf (tested) for finite inputs.
#pragma once

#include "kernels/cpu/avx512_target.h"

#ifdef DREAMBOX_AVX512_KERNEL

namespace kernels::cpu {

AVX512_INLINE __m512 exp512(__m512 x) {
  // Arguments past these give 0 and +inf after the scaling; NaN passes through (max/min
  // return their second operand when one is NaN).
  x = _mm512_min_ps(_mm512_set1_ps(88.8f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln2 split in two parts
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 e = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(e, n);
}

}  // namespace kernels::cpu

#endif
