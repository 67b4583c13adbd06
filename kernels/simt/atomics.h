// CUDA atomics for the emulator on std::atomic_ref: correct between blocks that run in parallel
// on different workers (and trivially between the fibers of one block, which never preempt).
#pragma once

#include <atomic>
#include <cstdint>

namespace kernels::simt::detail {

template <typename T>
inline std::atomic_ref<T> atomic_at(T* address) {
  return std::atomic_ref<T>(*address);
}

// Applies update(old) atomically with a compare-exchange loop; returns the old value.
template <typename T, typename Update>
inline T atomic_update(T* address, Update update) {
  std::atomic_ref<T> ref(*address);
  T old = ref.load(std::memory_order_relaxed);
  while (!ref.compare_exchange_weak(old, update(old), std::memory_order_relaxed)) {
  }
  return old;
}

}  // namespace kernels::simt::detail

#define SIMT_ATOMIC_ADD_SUB(T)                                                                 \
  inline T atomicAdd(T* address, T value) {                                                    \
    return ::kernels::simt::detail::atomic_at(address).fetch_add(value, std::memory_order_relaxed); \
  }
SIMT_ATOMIC_ADD_SUB(int)
SIMT_ATOMIC_ADD_SUB(unsigned)
SIMT_ATOMIC_ADD_SUB(unsigned long long)
SIMT_ATOMIC_ADD_SUB(float)
SIMT_ATOMIC_ADD_SUB(double)
#undef SIMT_ATOMIC_ADD_SUB

inline int atomicSub(int* address, int value) { return atomicAdd(address, -value); }
inline unsigned atomicSub(unsigned* address, unsigned value) {
  return ::kernels::simt::detail::atomic_at(address).fetch_sub(value, std::memory_order_relaxed);
}

#define SIMT_ATOMIC_BITS_EXCH_CAS(T)                                                              \
  inline T atomicAnd(T* address, T value) {                                                       \
    return ::kernels::simt::detail::atomic_at(address).fetch_and(value, std::memory_order_relaxed); \
  }                                                                                               \
  inline T atomicOr(T* address, T value) {                                                        \
    return ::kernels::simt::detail::atomic_at(address).fetch_or(value, std::memory_order_relaxed); \
  }                                                                                               \
  inline T atomicXor(T* address, T value) {                                                       \
    return ::kernels::simt::detail::atomic_at(address).fetch_xor(value, std::memory_order_relaxed); \
  }                                                                                               \
  inline T atomicExch(T* address, T value) {                                                      \
    return ::kernels::simt::detail::atomic_at(address).exchange(value, std::memory_order_relaxed); \
  }                                                                                               \
  inline T atomicCAS(T* address, T compare, T value) {                                            \
    ::kernels::simt::detail::atomic_at(address).compare_exchange_strong(compare, value,            \
                                                                        std::memory_order_relaxed); \
    return compare; /* the old value whether or not the swap happened */                          \
  }
SIMT_ATOMIC_BITS_EXCH_CAS(int)
SIMT_ATOMIC_BITS_EXCH_CAS(unsigned)
SIMT_ATOMIC_BITS_EXCH_CAS(unsigned long long)
#undef SIMT_ATOMIC_BITS_EXCH_CAS

inline float atomicExch(float* address, float value) {
  return ::kernels::simt::detail::atomic_at(address).exchange(value, std::memory_order_relaxed);
}
inline unsigned short atomicCAS(unsigned short* address, unsigned short compare, unsigned short value) {
  ::kernels::simt::detail::atomic_at(address).compare_exchange_strong(compare, value,
                                                                      std::memory_order_relaxed);
  return compare;
}

#define SIMT_ATOMIC_MIN_MAX(T)                                                              \
  inline T atomicMax(T* address, T value) {                                                 \
    return ::kernels::simt::detail::atomic_update(address, [value](T old) { return old < value ? value : old; }); \
  }                                                                                         \
  inline T atomicMin(T* address, T value) {                                                 \
    return ::kernels::simt::detail::atomic_update(address, [value](T old) { return value < old ? value : old; }); \
  }
SIMT_ATOMIC_MIN_MAX(int)
SIMT_ATOMIC_MIN_MAX(unsigned)
SIMT_ATOMIC_MIN_MAX(long long)
SIMT_ATOMIC_MIN_MAX(unsigned long long)
#undef SIMT_ATOMIC_MIN_MAX

// atomicInc/atomicDec wrap as in CUDA: inc gives old >= limit ? 0 : old + 1,
// dec gives (old == 0 || old > limit) ? limit : old - 1.
inline unsigned atomicInc(unsigned* address, unsigned limit) {
  return ::kernels::simt::detail::atomic_update(address,
                                                [limit](unsigned old) { return old >= limit ? 0u : old + 1; });
}
inline unsigned atomicDec(unsigned* address, unsigned limit) {
  return ::kernels::simt::detail::atomic_update(
      address, [limit](unsigned old) { return (old == 0 || old > limit) ? limit : old - 1; });
}

// Memory fences: the fibers of a block share one CPU thread; blocks on other workers need a fence.
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_signal_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
