// StridedIndex<K>: the geometry of K operands walked together over one index space (dims merged
// and size-1 dims dropped by the host, innermost last), passed by value to elementwise kernels.
#pragma once

#include <cstdint>

namespace kernels::cuda {

inline constexpr int kMaxDims = 8;

template <int K>
struct StridedIndex {
  int rank = 1;
  bool contiguous = false;            // every operand walks elements 0..n-1 with stride 1
  std::int64_t shape[kMaxDims] = {};  // [rank]
  std::int64_t strides[K][kMaxDims] = {};  // [K][rank], in elements; operand 0 is the output
};

}  // namespace kernels::cuda
