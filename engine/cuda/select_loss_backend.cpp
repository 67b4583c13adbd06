// The CUDA backend's sorting, selection and loss entries: sort along any dim (moved last for the
// row sort), nonzero and repeat_index (scan, read the total back, write), slice put / take, BCE.
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/compact.h"
#include "kernels/cuda/loss.h"
#include "kernels/cuda/slices.h"
#include "kernels/cuda/sort.h"

namespace engine::cuda_backend {

namespace {

Tensor device_empty(const Shape& shape, DType dtype) {
  return empty(shape, {.dtype = dtype, .device = Device::cuda()});
}

// The one i64 a scan left on the device.
std::int64_t read_count(const Tensor& total) {
  return total.to_vector<std::int64_t>()[0];
}

}  // namespace

void sort(const Tensor& x_in,
          std::int64_t dim,
          bool descending,
          const Tensor& values_out,
          const Tensor& indices_out) {
  // Rows along the last dim: [..., n] (a copy unless dim is already last).
  const Tensor x = x_in.detach().transpose(dim, -1).contiguous();
  const std::int64_t n = x.size(-1), rows = n == 0 ? 0 : x.numel() / n, k = values_out.size(dim);
  Shape sorted_shape = x.shape();
  sorted_shape.back() = k;
  const bool direct = dim == x.dim() - 1;  // the outputs are already the row layout
  const Tensor values = direct ? values_out : device_empty(sorted_shape, x.dtype());
  const Tensor indices = direct ? indices_out : device_empty(sorted_shape, DType::i64);
  const Tensor workspace = device_empty(
      {static_cast<std::int64_t>(kernels::cuda::sort_workspace_bytes(x.dtype(), rows, n))},
      DType::u8);
  kernels::cuda::sort_rows(x.dtype(), device_pointer<const void>(x), rows, n, descending, k,
                           device_pointer(values), device_pointer<std::int64_t>(indices),
                           device_pointer(workspace), stream());
  if (direct) return;
  values_out.copy_(values.transpose(dim, -1));
  indices_out.copy_(indices.transpose(dim, -1));
}

Tensor nonzero(const Tensor& x) {
  ENGINE_CHECK(x.dim() <= kernels::cuda::kMaxNonzeroRank, "nonzero: the CUDA kernel takes up to ",
               kernels::cuda::kMaxNonzeroRank, " dims, got ", x.str());
  kernels::cuda::NonzeroShape shape;
  shape.rank = static_cast<int>(x.dim());
  for (std::int64_t d = 0; d < x.dim(); ++d) shape.sizes[d] = x.size(d);
  const std::int64_t tiles = kernels::cuda::nonzero_tiles(x.numel());
  const Tensor counts = device_empty({tiles}, DType::i64),
               offsets = device_empty({tiles}, DType::i64), total = device_empty({1}, DType::i64);
  kernels::cuda::count_nonzero_tiles(x.dtype(), device_pointer<const void>(x), x.numel(),
                                     device_pointer<std::int64_t>(counts), stream());
  kernels::cuda::exclusive_scan_i64(device_pointer<const std::int64_t>(counts), tiles,
                                    device_pointer<std::int64_t>(offsets),
                                    device_pointer<std::int64_t>(total), stream());
  const Tensor out = device_empty({read_count(total), x.dim()}, DType::i64);  // [n, rank]
  kernels::cuda::write_nonzero(x.dtype(), device_pointer<const void>(x), shape,
                               device_pointer<const std::int64_t>(offsets),
                               device_pointer<std::int64_t>(out), stream());
  return out;
}

void put_slices(const Tensor& out, const Tensor& offsets, const Tensor& values, bool accumulate) {
  const std::int64_t m = values.size(0), s = values.size(1);
  const Tensor winners = device_empty({accumulate || s == 0 ? 0 : out.numel() / s}, DType::i64);
  kernels::cuda::put_slices(out.dtype(), device_pointer(out), out.numel(),
                            device_pointer<const std::int64_t>(offsets), m, s,
                            device_pointer<const void>(values), accumulate,
                            device_pointer<std::int64_t>(winners), stream());
}

void take_slices(const Tensor& src, const Tensor& offsets, const Tensor& out) {
  kernels::cuda::take_slices(src.dtype(), device_pointer<const void>(src),
                             device_pointer<const std::int64_t>(offsets), out.size(0), out.size(1),
                             device_pointer(out), stream());
}

Tensor repeat_index(const Tensor& repeats) {
  const std::int64_t m = repeats.numel();
  const Tensor offsets = device_empty({m}, DType::i64), total = device_empty({1}, DType::i64);
  kernels::cuda::exclusive_scan_i64(device_pointer<const std::int64_t>(repeats), m,
                                    device_pointer<std::int64_t>(offsets),
                                    device_pointer<std::int64_t>(total), stream());
  const Tensor out = device_empty({read_count(total)}, DType::i64);
  kernels::cuda::repeat_index(device_pointer<const std::int64_t>(offsets), m, out.numel(),
                              device_pointer<std::int64_t>(out), stream());
  return out;
}

void bce_with_logits(const Tensor& x,
                     const Tensor& t,
                     const Tensor& weight,
                     const Tensor& pos_weight,
                     const Tensor& out) {
  const char* op = "binary_cross_entropy_with_logits";
  kernels::cuda::bce_with_logits_f32(f32(x, op), f32(t, op), f32(weight, op), f32(pos_weight, op),
                                     x.numel(), f32(out, op), stream());
}

void bce_with_logits_backward(const Tensor& grad,
                              const Tensor& x,
                              const Tensor& t,
                              const Tensor& weight,
                              const Tensor& pos_weight,
                              const Tensor& grad_x,
                              const Tensor& grad_t) {
  const char* op = "binary_cross_entropy_with_logits backward";
  kernels::cuda::bce_with_logits_backward_f32(f32(grad, op), f32(x, op), f32(t, op),
                                              f32(weight, op), f32(pos_weight, op), x.numel(),
                                              f32(grad_x, op), f32(grad_t, op), stream());
}

}  // namespace engine::cuda_backend
