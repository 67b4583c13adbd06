// Warp-level collectives for emulated kernels: __syncwarp, the __shfl_*_sync family (with width)
// and the votes. Lanes of a warp are 32 consecutive linear thread ids; the call waits for its mask.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/simt/block.h"
#include "kernels/simt/fp16.h"

namespace kernels::simt::detail {

// The types CUDA's shuffles accept (up to 8 bytes).
template <typename T>
concept Shuffleable = (std::is_arithmetic_v<T> || std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16> ||
                       std::is_same_v<T, __half2> || std::is_same_v<T, __nv_bfloat162>) &&
                      sizeof(T) <= 8;

template <Shuffleable T>
T shuffle(WarpOp op, unsigned mask, T var, int lane_arg, int width) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  const std::uint64_t out = warp_collective(op, mask, bits, lane_arg, width).value;
  T result;
  std::memcpy(&result, &out, sizeof(T));
  return result;
}

}  // namespace kernels::simt::detail

inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::kernels::simt::detail::warp_collective(::kernels::simt::detail::WarpOp::sync, mask, 0, 0, 32);
}

template <::kernels::simt::detail::Shuffleable T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32) {
  return ::kernels::simt::detail::shuffle(::kernels::simt::detail::WarpOp::shfl_idx, mask, var, src_lane, width);
}
template <::kernels::simt::detail::Shuffleable T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return ::kernels::simt::detail::shuffle(::kernels::simt::detail::WarpOp::shfl_up, mask, var,
                                          static_cast<int>(delta), width);
}
template <::kernels::simt::detail::Shuffleable T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  return ::kernels::simt::detail::shuffle(::kernels::simt::detail::WarpOp::shfl_down, mask, var,
                                          static_cast<int>(delta), width);
}
template <::kernels::simt::detail::Shuffleable T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  return ::kernels::simt::detail::shuffle(::kernels::simt::detail::WarpOp::shfl_xor, mask, var, lane_mask, width);
}

// Votes over the lanes named in mask that have not exited.
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return static_cast<unsigned>(::kernels::simt::detail::warp_collective(::kernels::simt::detail::WarpOp::ballot,
                                                                        mask, predicate != 0, 0, 32)
                                   .value);
}
inline int __any_sync(unsigned mask, int predicate) {
  return ::kernels::simt::detail::warp_collective(::kernels::simt::detail::WarpOp::ballot, mask, predicate != 0, 0, 32)
             .value != 0;
}
inline int __all_sync(unsigned mask, int predicate) {
  const auto r = ::kernels::simt::detail::warp_collective(::kernels::simt::detail::WarpOp::ballot, mask,
                                                          predicate != 0, 0, 32);
  return r.value == r.participants;
}
