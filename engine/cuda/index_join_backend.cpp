// The CUDA backend's indexing (index_select / index_add, gather / scatter_add, one_hot) and joins
// (a cat input's slice, constant padding): f32 data (index_select and cat also i64), indices
// converted to contiguous i64.
#include "engine/autograd.h"
#include "engine/cuda/dim_split.h"
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "kernels/cuda/index.h"
#include "kernels/cuda/join.h"

namespace engine::cuda_backend {

namespace {
// Indices as the kernels take them: contiguous i64 on the device.
Tensor i64_indices(const Tensor& index) {
  return index.detach().to(DType::i64).contiguous();
}

kernels::cuda::IndexShape index_shape(const Tensor& index,
                                      const Tensor& addressed,
                                      std::int64_t dim,
                                      const char* op) {
  ENGINE_CHECK(index.dim() >= 1 && index.dim() <= kernels::cuda::kMaxIndexRank, op, ": index ",
               index.str(), " must have 1 to ", kernels::cuda::kMaxIndexRank,
               " dims for the CUDA kernel");
  kernels::cuda::IndexShape s;
  s.rank = static_cast<int>(index.dim());
  s.dim = static_cast<int>(dim);
  for (int d = 0; d < s.rank; ++d) {
    s.index_sizes[d] = index.size(d);
    s.other_sizes[d] = addressed.size(d);
  }
  return s;
}
}  // namespace

void index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  const DimSplit s = split_at(x.shape(), dim);
  const Tensor idx = i64_indices(index);
  if (x.dtype() == DType::i64) {
    kernels::cuda::index_select_i64(i64(x, "index_select"), s.outer, s.n, s.inner,
                                    device_pointer<const std::int64_t>(idx), idx.numel(),
                                    i64(out, "index_select"), stream());
    return;
  }
  kernels::cuda::index_select_f32(f32(x, "index_select"), s.outer, s.n, s.inner,
                                  device_pointer<const std::int64_t>(idx), idx.numel(),
                                  f32(out, "index_select"), stream());
}

void index_add(const Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const DimSplit s = split_at(out.shape(), dim);
  const Tensor idx = i64_indices(index);
  kernels::cuda::index_add_f32(f32(out, "index_add"), s.outer, s.n, s.inner,
                               device_pointer<const std::int64_t>(idx), idx.numel(),
                               f32(src, "index_add"), stream());
}

void gather(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  if (out.numel() == 0) return;
  const Tensor idx = i64_indices(index);
  kernels::cuda::gather_f32(f32(x, "gather"), index_shape(idx, x, dim, "gather"),
                            device_pointer<const std::int64_t>(idx), f32(out, "gather"), stream());
}

void scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src) {
  if (index.numel() == 0) return;
  const Tensor idx = i64_indices(index);
  kernels::cuda::scatter_add_f32(f32(out, "scatter_add"), index_shape(idx, out, dim, "scatter_add"),
                                 device_pointer<const std::int64_t>(idx), f32(src, "scatter_add"),
                                 stream());
}

void one_hot(const Tensor& index, std::int64_t classes, const Tensor& out) {
  // out[..., c] = (index[...] == c): a broadcast comparison against [0, classes) on the device.
  autograd::NoGradGuard no_grad;
  const Tensor classes_row = arange(classes).to(index.device());
  out.copy_(eq(index.detach().to(DType::i64).unsqueeze(-1), classes_row));
}

void cat_slice(const Tensor& in, std::int64_t dim, std::int64_t offset, const Tensor& out) {
  const DimSplit s = split_at(in.shape(), dim);
  if (in.dtype() == DType::i64) {
    kernels::cuda::cat_slice_i64(i64(in, "cat"), s.outer, s.n, s.inner, i64(out, "cat"),
                                 out.size(dim), offset, stream());
    return;
  }
  kernels::cuda::cat_slice_f32(f32(in, "cat"), s.outer, s.n, s.inner, f32(out, "cat"),
                               out.size(dim), offset, stream());
}

void constant_pad(const Tensor& in,
                  const std::vector<std::int64_t>& before,
                  double value,
                  const Tensor& out) {
  if (out.numel() == 0) return;
  ENGINE_CHECK(in.dim() >= 1 && in.dim() <= kernels::cuda::kMaxPadRank, "pad: ", in.str(),
               " must have 1 to ", kernels::cuda::kMaxPadRank, " dims for the CUDA kernel");
  kernels::cuda::PadShape s;
  s.rank = static_cast<int>(in.dim());
  for (int d = 0; d < s.rank; ++d) {
    s.in_sizes[d] = in.size(d);
    s.out_sizes[d] = out.size(d);
    s.before[d] = before[static_cast<std::size_t>(d)];
  }
  kernels::cuda::constant_pad_f32(f32(in, "pad"), s, static_cast<float>(value), f32(out, "pad"),
                                  stream());
}

}  // namespace engine::cuda_backend
