// Row statistics of the CPU normalisation kernels: mean and 1 / std of a row, accumulated in
// double over 8 interleaved partial sums (row_norm_forward, group_norm_silu, conv bias grads).
#pragma once

#include <cmath>
#include <cstdint>

namespace kernels::cpu {

struct RowStats {
  double mean, inv;  // mean and 1 / sqrt(biased variance + eps)
};

// Sum of f(in[i]) in double over 8 interleaved partial sums: independent chains (one serial
// chain waits ~4 cycles per element) that the compiler keeps in vector registers.
template <typename T, typename F>
double sum_of(const T* in, std::int64_t m, F f) {
  constexpr int kLanes = 8;
  double part[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= m; i += kLanes)
    for (int k = 0; k < kLanes; ++k) part[k] += f(static_cast<double>(in[i + k]));
  for (; i < m; ++i) part[0] += f(static_cast<double>(in[i]));
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

// Two passes over in[0 .. m): the mean, then the centred (biased) variance.
template <typename T>
RowStats row_stats(const T* in, std::int64_t m, double eps) {
  const double mu = sum_of(in, m, [](double v) { return v; }) / static_cast<double>(m);
  const double var =
      sum_of(in, m, [mu](double v) { return (v - mu) * (v - mu); }) / static_cast<double>(m);
  return {mu, 1.0 / std::sqrt(var + eps)};
}

}  // namespace kernels::cpu
