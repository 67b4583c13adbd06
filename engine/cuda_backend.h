// The CUDA backend the engine calls for tensors on a cuda device. One interface, three
// implementations chosen at link time: stub (throws), emu (SIMT emulator), native (nvcc, a GPU).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/caching_allocator.h"
#include "engine/op_kinds.h"
#include "engine/tensor.h"
#include "kernels/cpu/box_ops.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/geometry.h"
#include "kernels/cpu/optim.h"

// Linking: the engine library links cuda_backend_stub, a single object file defining every
// function below. An executable that links cuda_backend_emu or cuda_backend_native (object
// libraries, so all their definitions are present) never pulls the stub in; a partial override
// would pull it and fail to link with duplicate symbols instead of mixing implementations.
namespace engine::cuda_backend {

// ---- the device (only cuda:0 is used); none of these throws
bool available();           // false: stub build, or no usable GPU
std::string description();  // "SIMT emulator", "NVIDIA H100 ... (sm_90)", or why unavailable

// ---- memory: a caching allocator (size-binned free lists; no cudaMalloc in the steady state)
void* allocate(std::size_t nbytes, std::size_t* rounded_out);  // throws when unavailable / OOM
void release(void* pointer, std::size_t rounded);
AllocatorStats memory_stats();
void empty_cache();  // cudaFree of every cached block
void reset_peak();

// ---- transfers and synchronisation on the backend's one stream
void copy_to_device(void* device_dst, const void* host_src, std::size_t bytes);
void copy_to_host(void* host_dst, const void* device_src, std::size_t bytes);  // waits for it
void synchronize();  // waits for every queued kernel; rethrows a kernel's error

// ---- events on the backend's stream (RAII over cudaEvent_t), for timing and waiting. In the
// emulator launches are synchronous, so an event takes the host's clock when it is recorded.
class CudaEvent {
 public:
  CudaEvent();  // throws without a usable backend
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  void record();             // marks the point after the work queued on the stream so far
  void synchronize() const;  // waits until the work before the recorded point has finished
  // Milliseconds from start's point to end's (waits for end); both must have been recorded.
  static float elapsed_ms(const CudaEvent& start, const CudaEvent& end);

 private:
  void* handle_ = nullptr;  // the cudaEvent_t
};

// ---- CUDA graphs (RAII over cudaGraph_t / cudaGraphExec_t) of the backend's stream. Between
// capture_begin and capture_end the stream is captured (thread-local mode): kernels, fills and
// device copies queued by this thread are recorded instead of run, and replay() runs them again,
// reading and writing the same device addresses. Tensors allocated during the capture come from
// the graph's private pool of the caching allocator (CachingAllocator::begin_private_pool): they
// keep their addresses and no one else gets their memory while the graph lives; the destructor
// gives the pool back. Allocate the tensors you copy inputs into before capture_begin: a block
// allocated during the capture may have served earlier captured work, which overwrites it during
// each replay. What a graph cannot hold fails with an error naming the operation: reading
// data back (.item(), to_vector, .cpu()), host-to-device copies (from_vector, .to(cuda)),
// synchronize, empty_cache, events. The emulator records and replays the same way.
class CudaGraph {
 public:
  CudaGraph();  // throws without a usable backend
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void capture_begin();  // once per graph
  void capture_end();    // instantiates the graph
  // capture_begin, work(), capture_end; if work throws, the capture is abandoned (the stream runs
  // eagerly again, the pool is given back) and the exception goes on.
  void capture(const std::function<void()>& work);
  void replay();  // queued on the stream like any kernel; capture_end must have run
  bool captured() const { return exec_ != nullptr; }
  std::size_t nodes() const { return nodes_; }  // operations the graph holds

 private:
  void abandon() noexcept;  // ends a capture in progress and drops what it made

  void* graph_ = nullptr;  // cudaGraph_t
  void* exec_ = nullptr;   // cudaGraphExec_t
  std::uint64_t pool_ = 0;  // the allocator's private pool (0: none)
  bool capturing_ = false;
  std::size_t nodes_ = 0;
};
bool is_capturing();  // the backend's stream is being captured

// ---- op families: every tensor on cuda:0, shapes and dtypes checked by the engine front-end;
// outputs preallocated (as the kernels::cpu functions of the same names).
void fill(const Tensor& dst, double value);
void copy(const Tensor& src, const Tensor& dst);  // src broadcast to dst's shape; any dtypes
void arange_into(double start, double step, const Tensor& out);  // [n] contiguous: f32 f64 i32 i64
void unary(UnaryOp op, const Tensor& x, const Tensor& out);
void unary_backward(
    UnaryOp op, const Tensor& grad, const Tensor& x, const Tensor& y, const Tensor& grad_x);
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
void clamp(const Tensor& x, double lo, double hi, const Tensor& out);
// out is x's shape with the reduced dims set to 1, contiguous; dims sorted and unique.
void reduce(ReduceOp op,
            const Tensor& x,
            const std::vector<std::int64_t>& dims,
            const Tensor& out,
            std::int64_t correction);
// C[m, n] (row-major, leading dim ldc, at c_offset in c) = A[m, k] @ B[k, n] (f32), the matrix
// references as the CPU GEMM takes them.
void gemm(std::int64_t m,
          std::int64_t n,
          std::int64_t k,
          const kernels::cpu::MatrixRef& a,
          const kernels::cpu::MatrixRef& b,
          const Tensor& c,
          std::int64_t c_offset,
          std::int64_t ldc);

// ---- layer ops: contiguous f32 tensors, the CPU oracle's geometry (kernels/cpu/geometry.h) and
// the kernels::cpu signatures of the same names (so DEVICE_KERNEL can pick either).
void conv2d_forward(const Tensor& x,
                    const Tensor& weight,
                    const Tensor& bias,
                    const kernels::cpu::Conv2dGeometry& g,
                    const Tensor& out);
void conv2d_backward(const Tensor& grad_out,
                     const Tensor& x,
                     const Tensor& weight,
                     const kernels::cpu::Conv2dGeometry& g,
                     const Tensor& grad_x,
                     const Tensor& grad_weight,
                     const Tensor& grad_bias);
void max_pool2d_forward(const Tensor& x,
                        const kernels::cpu::Pool2dGeometry& g,
                        const Tensor& out,
                        const Tensor& indices);
void max_pool2d_backward(const Tensor& grad_out,
                         const Tensor& indices,
                         const kernels::cpu::Pool2dGeometry& g,
                         const Tensor& grad_x);
void avg_pool2d_forward(const Tensor& x,
                        const kernels::cpu::Pool2dGeometry& g,
                        bool count_include_pad,
                        const Tensor& out);
void avg_pool2d_backward(const Tensor& grad_out,
                         const kernels::cpu::Pool2dGeometry& g,
                         bool count_include_pad,
                         const Tensor& grad_x);
void adaptive_avg_pool2d_forward(const Tensor& x,
                                 const kernels::cpu::Pool2dGeometry& g,
                                 const Tensor& out);
void adaptive_avg_pool2d_backward(const Tensor& grad_out,
                                  const kernels::cpu::Pool2dGeometry& g,
                                  const Tensor& grad_x);
void upsample_nearest2d(const Tensor& x, const kernels::cpu::ResizeGeometry& g, const Tensor& out);
void upsample_nearest2d_backward(const Tensor& grad_out,
                                 const kernels::cpu::ResizeGeometry& g,
                                 const Tensor& grad_x);
void upsample_bilinear2d(const Tensor& x, const kernels::cpu::ResizeGeometry& g, const Tensor& out);
void upsample_bilinear2d_backward(const Tensor& grad_out,
                                  const kernels::cpu::ResizeGeometry& g,
                                  const Tensor& grad_x);
// Rows of a contiguous [R, M] matrix (batch, group and layer norm reshape to this).
void row_norm_forward(
    const Tensor& x, double eps, const Tensor& y, const Tensor& mean, const Tensor& rstd);
void row_norm_backward(const Tensor& grad_y,
                       const Tensor& y,
                       const Tensor& rstd,
                       const Tensor& grad_x);
void roi_align(const Tensor& x,
               const Tensor& rois,
               const kernels::cpu::RoiAlignParams& p,
               const Tensor& out);
// grad_x zero-filled by the caller; accumulated with atomics (order-dependent in the last bits).
void roi_align_backward(const Tensor& grad_out,
                        const Tensor& rois,
                        const kernels::cpu::RoiAlignParams& p,
                        const Tensor& grad_x);

// ---- sorting, selection and losses (kernels2): the kernels::cpu signatures of the same names
// (kernels/cpu/select.h, loss.h); inputs contiguous as there. nonzero and repeat_index read a
// count back from the device (the output size), so they wait for the queued work.
void sort(const Tensor& x,
          std::int64_t dim,
          bool descending,
          const Tensor& values_out,
          const Tensor& indices_out);  // f32 f64 i32 i64
Tensor nonzero(const Tensor& x);       // any dtype, rank <= 8
void put_slices(const Tensor& out, const Tensor& offsets, const Tensor& values, bool accumulate);
void take_slices(const Tensor& src, const Tensor& offsets, const Tensor& out);
Tensor repeat_index(const Tensor& repeats);
void bce_with_logits(const Tensor& x,
                     const Tensor& t,
                     const Tensor& weight,
                     const Tensor& pos_weight,
                     const Tensor& out);  // f32
void bce_with_logits_backward(const Tensor& grad,
                              const Tensor& x,
                              const Tensor& t,
                              const Tensor& weight,
                              const Tensor& pos_weight,
                              const Tensor& grad_x,
                              const Tensor& grad_t);

// ---- softmax, indexing, joins, arg reductions, optimizers, random, detection (the signatures
// of the kernels::cpu functions of the same names, so DEVICE_KERNEL can pick either); f32 data,
// i64 or i32 indices, contiguous unless said otherwise.
void softmax(const Tensor& x, std::int64_t dim, bool log, const Tensor& y);
void softmax_backward(
    const Tensor& grad_y, const Tensor& y, std::int64_t dim, bool log, const Tensor& grad_x);
void index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out);
void index_add(const Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src);
void gather(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out);
void scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src);
void one_hot(const Tensor& index, std::int64_t classes, const Tensor& out);  // out i64
// out.narrow(dim, offset, in.size(dim)) = in: one input of a cat (in and out contiguous f32).
void cat_slice(const Tensor& in, std::int64_t dim, std::int64_t offset, const Tensor& out);
// out[c] = in[c - before] where that lies inside in, else value; before[d] may be negative.
void constant_pad(const Tensor& in,
                  const std::vector<std::int64_t>& before,
                  double value,
                  const Tensor& out);
void arg_reduce(
    bool is_max, const Tensor& x, std::int64_t dim, const Tensor& values, const Tensor& indices);
void sgd_update(const Tensor& param,
                const Tensor& grad,
                const Tensor& momentum_buffer,
                const kernels::cpu::SgdHyper& h);
void adamw_update(const Tensor& param,
                  const Tensor& grad,
                  const Tensor& exp_avg,
                  const Tensor& exp_avg_sq,
                  const kernels::cpu::AdamWHyper& h);
// The Philox streams of engine/random.h: the same numbers as the CPU generator for one seed.
void uniform(std::uint64_t seed, std::uint64_t offset, double low, double high, const Tensor& out);
void normal(std::uint64_t seed, std::uint64_t offset, double mean, double std, const Tensor& out);
void randint(std::uint64_t seed,
             std::uint64_t offset,
             std::int64_t low,
             std::int64_t high,
             const Tensor& out);  // any number dtype (drawn as i64, then converted)
// Kept indices (i64, on cuda) by decreasing score, exactly as the CPU's.
Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold);
Tensor batched_nms(const Tensor& boxes,
                   const Tensor& scores,
                   const Tensor& idxs,
                   double iou_threshold);
void box_iou(const Tensor& a, const Tensor& b, const Tensor& out);
void encode_boxes(const Tensor& reference,
                  const Tensor& proposals,
                  const std::array<double, 4>& weights,
                  const Tensor& out);
void decode_boxes(const Tensor& codes,
                  const Tensor& boxes,
                  const std::array<double, 4>& weights,
                  double clip,
                  const Tensor& out);
void decode_boxes_backward(const Tensor& grad_out,
                           const Tensor& codes,
                           const Tensor& boxes,
                           const std::array<double, 4>& weights,
                           double clip,
                           const Tensor& grad_codes);
void fpn_levels(const Tensor& boxes, const kernels::cpu::LevelMapping& m, const Tensor& out);

}  // namespace engine::cuda_backend
