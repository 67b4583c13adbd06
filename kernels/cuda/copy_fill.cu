// fill and dtype-converting copy for every dtype: one map kernel instantiation per dtype (pair),
// the conversion rules of the CPU copy kernel (convert<Dst>(Src) in dtype_dispatch.cuh).
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

}  // namespace

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
