// The CUDA backend's reductions (the reduced dims moved last and made contiguous, then one row
// reduction per output element) and f32 GEMM (the tiled shared-memory kernel, BLAS-style refs).
#include <numeric>

#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/row_reduce.h"

namespace engine::cuda_backend {

namespace {
void require_f32(const Tensor& t, const char* op) {
  ENGINE_CHECK(t.dtype() == DType::f32, op, ": no CUDA kernel yet for dtype ",
               dtype_name(t.dtype()), " (", t.str(), "); f32 only");
}
}  // namespace

void reduce(ReduceOp op,
            const Tensor& x,
            const std::vector<std::int64_t>& dims,
            const Tensor& out,
            std::int64_t correction) {
  require_f32(x, op_name(op));
  // [kept dims..., reduced dims...] so that each output element owns one contiguous row.
  std::vector<std::int64_t> order;
  std::vector<bool> reduced(static_cast<std::size_t>(x.dim()), false);
  for (auto d : dims) reduced[static_cast<std::size_t>(d)] = true;
  for (std::int64_t d = 0; d < x.dim(); ++d)
    if (!reduced[static_cast<std::size_t>(d)]) order.push_back(d);
  std::int64_t cols = 1;
  for (auto d : dims) {
    order.push_back(d);
    cols *= x.size(d);
  }
  const Tensor rows_by_cols = x.detach().permute(order).contiguous();  // [rows, cols] in memory
  kernels::cuda::reduce_rows_f32(op, device_pointer<const float>(rows_by_cols),
                                 device_pointer<float>(out), out.numel(), cols, correction,
                                 stream());
}

void gemm(std::int64_t m,
          std::int64_t n,
          std::int64_t k,
          const kernels::cpu::MatrixRef& a,
          const kernels::cpu::MatrixRef& b,
          const Tensor& c,
          std::int64_t c_offset,
          std::int64_t ldc) {
  require_f32(c, "matmul");
  kernels::cuda::gemm_f32(m, n, k, 1.0f, device_pointer<const float>(*a.tensor) + a.offset, a.ld,
                          a.transposed, device_pointer<const float>(*b.tensor) + b.offset, b.ld,
                          b.transposed, 0.0f, device_pointer<float>(c) + c_offset, ldc, stream());
}

}  // namespace engine::cuda_backend
