// fill, arange and dtype-converting copy: one map kernel instantiation per dtype (pair), the
// conversion rules of the CPU copy kernel (convert<Dst>(Src) in dtype_dispatch.cuh).
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/dtype_dispatch.cuh"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/map.cuh"

namespace kernels::cuda {
namespace {

template <typename T>
struct Constant {
  T value;
  __device__ __forceinline__ T operator()() const { return value; }
};

template <typename Dst, typename Src>
struct Convert {
  __device__ __forceinline__ Dst operator()(Src v) const { return convert<Dst>(v); }
};

// No contraction into an fma: the same f64 rounding as the CPU's start + i * step.
template <typename T>
__global__ void __launch_bounds__(kElementThreads)
    arange_kernel(T* out, double start, double step, std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride())
    out[i] = static_cast<T>(__dadd_rn(start, __dmul_rn(static_cast<double>(i), step)));
}

}  // namespace

void arange(engine::DType dtype, void* out, double start, double step, std::int64_t n, cudaStream_t stream) {
  const auto run = [&](auto* typed) { launch_elements(n, stream, arange_kernel<std::remove_pointer_t<decltype(typed)>>, typed, start, step, n); };
  switch (dtype) {
    case engine::DType::f32: run(static_cast<float*>(out)); break;
    case engine::DType::f64: run(static_cast<double*>(out)); break;
    case engine::DType::i32: run(static_cast<std::int32_t*>(out)); break;
    case engine::DType::i64: run(static_cast<std::int64_t*>(out)); break;
    default: throw std::invalid_argument(std::string("arange: no CUDA kernel for dtype ") + engine::dtype_name(dtype));
  }
}

void fill(engine::DType dtype, void* dst, double value, const StridedIndex<1>& index, std::int64_t n,
          cudaStream_t stream) {
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    map0(Constant<T>{convert<T>(value)}, static_cast<T*>(dst), index, n, stream);
  });
}

void copy(engine::DType src_dtype, const void* src, engine::DType dst_dtype, void* dst,
          const StridedIndex<2>& index, std::int64_t n, cudaStream_t stream) {
  dispatch_dtype(dst_dtype, [&](auto dst_tag) {
    dispatch_dtype(src_dtype, [&](auto src_tag) {
      using D = typename decltype(dst_tag)::type;
      using S = typename decltype(src_tag)::type;
      map1(Convert<D, S>{}, static_cast<D*>(dst), static_cast<const S*>(src), index, n, stream);
    });
  });
}

}  // namespace kernels::cuda
