// Dynamic shared memory for emulated kernels: a per-block buffer sized at launch (poisoned with
// 0xff bytes at block start), seen through SharedArray, whose operator[] is bounds-checked.
#pragma once

#include <cstddef>
#include <type_traits>

#include "kernels/simt/block.h"

namespace kernels::simt {

// Stands where CUDA code has a T* into `extern __shared__` memory: indexing is checked (an
// out-of-bounds index throws simt::Error naming the thread); it converts to T* for arithmetic.
template <typename T>
class SharedArray {
 public:
  SharedArray(T* base, std::size_t count) : base_(base), count_(count) {}
  template <typename Index>
    requires std::is_integral_v<Index>
  T& operator[](Index index) const {
    const auto i = static_cast<std::size_t>(index);  // negative indices wrap to huge values
    if (i >= count_) detail::shared_out_of_bounds(i, count_, sizeof(T));
    return base_[i];
  }
  operator T*() const { return base_; }
  std::size_t size() const { return count_; }

 private:
  T* base_;
  std::size_t count_;
};

template <typename T>
SharedArray<T> dynamic_shared() {
  const detail::DynamicShared memory = detail::dynamic_shared_memory();
  return SharedArray<T>(reinterpret_cast<T*>(memory.base), memory.bytes / sizeof(T));
}

}  // namespace kernels::simt
