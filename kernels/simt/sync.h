// __syncthreads and its counting/voting forms for emulated kernels: a barrier among the fibers of
// the block; the call site is recorded so that divergent barriers and deadlocks name the line.
#pragma once

#include <source_location>

#include "kernels/simt/block.h"

inline void __syncthreads(const std::source_location& site = std::source_location::current()) {
  ::kernels::simt::detail::block_barrier(::kernels::simt::detail::BarrierKind::sync, 0, site);
}
inline int __syncthreads_count(int predicate, const std::source_location& site = std::source_location::current()) {
  return ::kernels::simt::detail::block_barrier(::kernels::simt::detail::BarrierKind::count, predicate, site);
}
inline int __syncthreads_and(int predicate, const std::source_location& site = std::source_location::current()) {
  return ::kernels::simt::detail::block_barrier(::kernels::simt::detail::BarrierKind::all, predicate, site);
}
inline int __syncthreads_or(int predicate, const std::source_location& site = std::source_location::current()) {
  return ::kernels::simt::detail::block_barrier(::kernels::simt::detail::BarrierKind::any, predicate, site);
}
