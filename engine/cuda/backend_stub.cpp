// The CUDA backend of a build without CUDA: every entry fails with an error that says so, so a
// cuda tensor can never be created (allocation is the first call any cuda tensor makes).
#include "engine/cuda_backend.h"

namespace engine::cuda_backend {

namespace {
// Throws directly (not through ENGINE_FAIL) so that this object file needs no engine symbols.
[[noreturn]] void no_backend(const std::string& what) {
  throw Error(what +
              ": this build has no CUDA backend (it was configured without CUDA; rebuild with "
              "-DDREAMBOX_CUDA=ON on a machine with nvcc and a GPU, or use device cpu)");
}
}  // namespace

bool available() {
  return false;
}
std::string description() {
  return "none: this build has no CUDA backend";
}
void* allocate(std::size_t, std::size_t*) {
  no_backend("allocating cuda memory");
}
void release(void*, std::size_t) {}
AllocatorStats memory_stats() {
  return {};
}
void empty_cache() {}
void reset_peak() {}
void copy_to_device(void*, const void*, std::size_t) {
  no_backend("copy to cuda");
}
void copy_to_host(void*, const void*, std::size_t) {
  no_backend("copy from cuda");
}
void synchronize() {}
void fill(const Tensor&, double) {
  no_backend("fill_");
}
void copy(const Tensor&, const Tensor&) {
  no_backend("copy_");
}
void unary(UnaryOp op, const Tensor&, const Tensor&) {
  no_backend(op_name(op));
}
void unary_backward(UnaryOp op, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  no_backend(op_name(op));
}
void binary(BinaryOp op, const Tensor&, const Tensor&, const Tensor&) {
  no_backend(op_name(op));
}
void where(const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  no_backend("where");
}
void clamp(const Tensor&, double, double, const Tensor&) {
  no_backend("clamp");
}
void reduce(
    ReduceOp op, const Tensor&, const std::vector<std::int64_t>&, const Tensor&, std::int64_t) {
  no_backend(op_name(op));
}
void gemm(std::int64_t,
          std::int64_t,
          std::int64_t,
          const kernels::cpu::MatrixRef&,
          const kernels::cpu::MatrixRef&,
          const Tensor&,
          std::int64_t,
          std::int64_t) {
  no_backend("matmul");
}

void conv2d_forward(const Tensor&,
                    const Tensor&,
                    const Tensor&,
                    const kernels::cpu::Conv2dGeometry&,
                    const Tensor&) {
  no_backend("conv2d");
}
void conv2d_backward(const Tensor&,
                     const Tensor&,
                     const Tensor&,
                     const kernels::cpu::Conv2dGeometry&,
                     const Tensor&,
                     const Tensor&,
                     const Tensor&) {
  no_backend("conv2d");
}
void max_pool2d_forward(const Tensor&,
                        const kernels::cpu::Pool2dGeometry&,
                        const Tensor&,
                        const Tensor&) {
  no_backend("max_pool2d");
}
void max_pool2d_backward(const Tensor&,
                         const Tensor&,
                         const kernels::cpu::Pool2dGeometry&,
                         const Tensor&) {
  no_backend("max_pool2d");
}
void avg_pool2d_forward(const Tensor&, const kernels::cpu::Pool2dGeometry&, bool, const Tensor&) {
  no_backend("avg_pool2d");
}
void avg_pool2d_backward(const Tensor&, const kernels::cpu::Pool2dGeometry&, bool, const Tensor&) {
  no_backend("avg_pool2d");
}
void adaptive_avg_pool2d_forward(const Tensor&,
                                 const kernels::cpu::Pool2dGeometry&,
                                 const Tensor&) {
  no_backend("adaptive_avg_pool2d");
}
void adaptive_avg_pool2d_backward(const Tensor&,
                                  const kernels::cpu::Pool2dGeometry&,
                                  const Tensor&) {
  no_backend("adaptive_avg_pool2d");
}
void upsample_nearest2d(const Tensor&, const kernels::cpu::ResizeGeometry&, const Tensor&) {
  no_backend("upsample_nearest");
}
void upsample_nearest2d_backward(const Tensor&,
                                 const kernels::cpu::ResizeGeometry&,
                                 const Tensor&) {
  no_backend("upsample_nearest");
}
void upsample_bilinear2d(const Tensor&, const kernels::cpu::ResizeGeometry&, const Tensor&) {
  no_backend("upsample_bilinear");
}
void upsample_bilinear2d_backward(const Tensor&,
                                  const kernels::cpu::ResizeGeometry&,
                                  const Tensor&) {
  no_backend("upsample_bilinear");
}
void row_norm_forward(const Tensor&, double, const Tensor&, const Tensor&, const Tensor&) {
  no_backend("normalization");
}
void row_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  no_backend("normalization");
}
void roi_align(const Tensor&, const Tensor&, const kernels::cpu::RoiAlignParams&, const Tensor&) {
  no_backend("roi_align");
}
void roi_align_backward(const Tensor&,
                        const Tensor&,
                        const kernels::cpu::RoiAlignParams&,
                        const Tensor&) {
  no_backend("roi_align");
}

void sort(const Tensor&, std::int64_t, bool, const Tensor&, const Tensor&) {
  no_backend("sort");
}
Tensor nonzero(const Tensor&) {
  no_backend("nonzero");
}
void put_slices(const Tensor&, const Tensor&, const Tensor&, bool) {
  no_backend("index_put");
}
void take_slices(const Tensor&, const Tensor&, const Tensor&) {
  no_backend("index_put");
}
Tensor repeat_index(const Tensor&) {
  no_backend("repeat_interleave");
}
void bce_with_logits(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  no_backend("binary_cross_entropy_with_logits");
}
void bce_with_logits_backward(const Tensor&,
                              const Tensor&,
                              const Tensor&,
                              const Tensor&,
                              const Tensor&,
                              const Tensor&,
                              const Tensor&) {
  no_backend("binary_cross_entropy_with_logits");
}

}  // namespace engine::cuda_backend
