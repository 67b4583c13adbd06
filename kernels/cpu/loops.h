// The loop skeletons every CPU kernel is written with: an OpenMP parallel-for with a grain
// size, and an N-d strided walk over K operands that hands contiguous-or-strided rows to a body.
#pragma once

#include <omp.h>

#include <array>
#include <cstdint>
#include <vector>

#include "engine/tensor.h"

namespace kernels::cpu {

// Below this many elements an op runs on one thread (a parallel region costs ~1-2 us).
inline constexpr std::int64_t kParallelGrain = 32768;

// Calls body(begin, end) over [0, n) split into contiguous chunks, one per thread when the
// work (n * cost_per_item) is worth it. body must not throw.
template <typename Body>
void parallel_for(std::int64_t n, std::int64_t cost_per_item, Body body) {
  if (n <= 0) return;
  const int threads = omp_get_max_threads();
  if (threads == 1 || n * cost_per_item < kParallelGrain || n == 1) {
    body(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (begin < end) body(begin, end);
  }
}

// Geometry of K operands walked together over one index space: shape plus per-operand element
// strides, with adjacent dims merged wherever every operand allows it (fewer, longer rows).
template <std::size_t K>
struct StridedGeometry {
  engine::Shape shape;
  std::array<engine::Shape, K> strides;

  StridedGeometry(const engine::Shape& full_shape,
                  const std::array<engine::Shape, K>& full_strides) {
    // Drop size-1 dims, then merge dim i into i+1 when contiguous for all operands.
    for (std::size_t d = 0; d < full_shape.size(); ++d) {
      if (full_shape[d] == 1) continue;
      const bool mergeable = !shape.empty() && [&] {
        for (std::size_t k = 0; k < K; ++k)
          if (strides[k].back() != full_strides[k][d] * full_shape[d]) return false;
        return true;
      }();
      if (mergeable) {
        shape.back() *= full_shape[d];
        for (std::size_t k = 0; k < K; ++k) strides[k].back() = full_strides[k][d];
      } else {
        shape.push_back(full_shape[d]);
        for (std::size_t k = 0; k < K; ++k) strides[k].push_back(full_strides[k][d]);
      }
    }
    if (shape.empty()) {  // a single element
      shape.push_back(1);
      for (std::size_t k = 0; k < K; ++k) strides[k].push_back(0);
    }
  }
  std::int64_t inner() const { return shape.back(); }
  std::int64_t rows() const { return engine::numel(shape) / inner(); }
};

// Walks the index space of `geometry`, calling row(offsets, inner_strides, n) with the element
// offsets of each operand at the start of a row of n elements along the innermost dim.
// Rows (or, for a single row, pieces of it) are spread over threads.
template <std::size_t K, typename Row>
void strided_rows(const StridedGeometry<K>& g, Row row) {
  const std::int64_t inner = g.inner(), rows = g.rows();
  const std::size_t rank = g.shape.size();
  std::array<std::int64_t, K> inner_strides;
  for (std::size_t k = 0; k < K; ++k) inner_strides[k] = g.strides[k][rank - 1];
  if (rows == 1) {
    parallel_for(inner, 1, [&](std::int64_t begin, std::int64_t end) {
      std::array<std::int64_t, K> offsets;
      for (std::size_t k = 0; k < K; ++k) offsets[k] = begin * inner_strides[k];
      row(offsets, inner_strides, end - begin);
    });
    return;
  }
  parallel_for(rows, inner, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      std::array<std::int64_t, K> offsets{};
      std::int64_t rem = r;
      for (std::size_t d = rank - 1; d-- > 0;) {
        const std::int64_t i = rem % g.shape[d];
        rem /= g.shape[d];
        for (std::size_t k = 0; k < K; ++k) offsets[k] += i * g.strides[k][d];
      }
      row(offsets, inner_strides, inner);
    }
  });
}

}  // namespace kernels::cpu
