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
CudaEvent::CudaEvent() {
  no_backend("creating a CUDA event");
}
CudaEvent::~CudaEvent() = default;
void CudaEvent::record() {
  no_backend("recording a CUDA event");
}
void CudaEvent::synchronize() const {
  no_backend("synchronizing on a CUDA event");
}
float CudaEvent::elapsed_ms(const CudaEvent&, const CudaEvent&) {
  no_backend("timing CUDA events");
}
CudaGraph::CudaGraph() {
  no_backend("creating a CUDA graph");
}
CudaGraph::~CudaGraph() = default;
void CudaGraph::capture_begin() {
  no_backend("capturing a CUDA graph");
}
void CudaGraph::capture_end() {
  no_backend("capturing a CUDA graph");
}
void CudaGraph::capture(const std::function<void()>&) {
  no_backend("capturing a CUDA graph");
}
void CudaGraph::replay() {
  no_backend("replaying a CUDA graph");
}
void CudaGraph::abandon() noexcept {}
bool is_capturing() {
  return false;
}
void fill(const Tensor&, double) {
  no_backend("fill_");
}
void arange_into(double, double, const Tensor&) {
  no_backend("arange");
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

// ---- softmax, indexing, joins, optimizers, random, detection
void softmax(const Tensor&, std::int64_t, bool log, const Tensor&) {
  no_backend(log ? "log_softmax" : "softmax");
}
void softmax_backward(const Tensor&, const Tensor&, std::int64_t, bool log, const Tensor&) {
  no_backend(log ? "log_softmax" : "softmax");
}
void index_select(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  no_backend("index_select");
}
void index_add(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  no_backend("index_add");
}
void gather(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  no_backend("gather");
}
void scatter_add(const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  no_backend("scatter_add");
}
void one_hot(const Tensor&, std::int64_t, const Tensor&) {
  no_backend("one_hot");
}
void cat_slice(const Tensor&, std::int64_t, std::int64_t, const Tensor&) {
  no_backend("cat");
}
void constant_pad(const Tensor&, const std::vector<std::int64_t>&, double, const Tensor&) {
  no_backend("pad");
}
void arg_reduce(bool is_max, const Tensor&, std::int64_t, const Tensor&, const Tensor&) {
  no_backend(is_max ? "max(dim)" : "min(dim)");
}
void sgd_update(const Tensor&, const Tensor&, const Tensor&, const kernels::cpu::SgdHyper&) {
  no_backend("SGD");
}
void adamw_update(
    const Tensor&, const Tensor&, const Tensor&, const Tensor&, const kernels::cpu::AdamWHyper&) {
  no_backend("AdamW");
}
void uniform(std::uint64_t, std::uint64_t, double, double, const Tensor&) {
  no_backend("uniform_");
}
void normal(std::uint64_t, std::uint64_t, double, double, const Tensor&) {
  no_backend("normal_");
}
void randint(std::uint64_t, std::uint64_t, std::int64_t, std::int64_t, const Tensor&) {
  no_backend("randint");
}
Tensor nms(const Tensor&, const Tensor&, double) {
  no_backend("nms");
}
Tensor batched_nms(const Tensor&, const Tensor&, const Tensor&, double) {
  no_backend("batched_nms");
}
void box_iou(const Tensor&, const Tensor&, const Tensor&) {
  no_backend("box_iou");
}
void encode_boxes(const Tensor&, const Tensor&, const std::array<double, 4>&, const Tensor&) {
  no_backend("encode_boxes");
}
void decode_boxes(
    const Tensor&, const Tensor&, const std::array<double, 4>&, double, const Tensor&) {
  no_backend("decode_boxes");
}
void decode_boxes_backward(const Tensor&,
                           const Tensor&,
                           const Tensor&,
                           const std::array<double, 4>&,
                           double,
                           const Tensor&) {
  no_backend("decode_boxes");
}
void fpn_levels(const Tensor&, const kernels::cpu::LevelMapping&, const Tensor&) {
  no_backend("fpn_level_assignment");
}

}  // namespace engine::cuda_backend
