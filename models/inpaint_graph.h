// DDIM inpainting as one CUDA graph: the whole guided loop (fixed steps, eta, guidance) captured
// once per batch shape and replayed per batch, its inputs copied into static tensors first.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/cuda_backend.h"
#include "models/ddim_inpaint.h"

namespace models {

// Why the sampling loop of this scheduler on this device cannot be captured ("" if it can): a
// device without CUDA, or dynamic thresholding (its per-sample quantiles are taken on the host).
std::string inpaint_graph_unsupported(const DDIMScheduler& scheduler, engine::Device device);

// The loop of inpaint captured for batches shaped like image [N, 3, H, W], mask [N, 1, H, W] and
// class_emb [N, E] on cuda (their values are not used) with these options. The capture reads
// the model's weights and null_emb where they are: keep the model alive and in place (no .to(),
// no reloading into new tensors) while the graph lives; in-place updates of the weights are seen.
class InpaintGraph {
 public:
  InpaintGraph(const NoisePredictor& model,
               const Tensor& null_emb,
               const DDIMScheduler& scheduler,
               const Tensor& image,
               const Tensor& mask,
               const Tensor& class_emb,
               const InpaintOptions& options);

  // Whether this batch replays this graph (same shapes, dtypes and options).
  bool fits(const Tensor& image,
            const Tensor& mask,
            const Tensor& class_emb,
            const InpaintOptions& options) const;
  // inpaint(model, null_emb, scheduler, ...) bit for bit: x_T and the loop's noise are drawn from
  // `gen` in the eager order and copied in, with the inputs; the graph replays; the result is a
  // copy of the graph's output -> [N, 3, H, W].
  Tensor run(const Tensor& image,
             const Tensor& mask,
             const Tensor& class_emb,
             engine::Generator& gen);
  std::size_t nodes() const { return graph_.nodes(); }

 private:
  DDIMScheduler scheduler_;
  InpaintOptions options_;
  Tensor null_emb_;                        // [1, E], read by the graph
  Tensor x_T_, image_, mask_, class_emb_;  // the static inputs
  std::vector<Tensor> noise_;              // the loop's draws, in order, each like the image
  engine::cuda_backend::CudaGraph graph_;
  Tensor out_;  // [N, 3, H, W], written by each replay
};

// Sampling with the UNet (no autograd, eval mode for the call) either eagerly (inpaint) or, with
// cuda_graph, through an InpaintGraph captured at the first batch and again when a batch has
// another shape; both give the same numbers. cuda_graph needs what inpaint_graph_unsupported
// accepts, else the constructor says why.
class InpaintSampler {
 public:
  InpaintSampler(UNet2DModel& unet,
                 const DDIMSchedulerConfig& scheduler,
                 const InpaintOptions& options,
                 bool cuda_graph);
  Tensor sample(const Tensor& image,
                const Tensor& mask,
                const Tensor& class_emb,
                engine::Generator& gen);
  bool uses_cuda_graph() const { return cuda_graph_; }
  std::size_t captures() const { return captures_; }  // graphs captured so far

 private:
  UNet2DModel& unet_;
  DDIMScheduler scheduler_;
  InpaintOptions options_;
  bool cuda_graph_;
  Tensor null_emb_;  // made at the first batch
  std::unique_ptr<InpaintGraph> graph_;
  std::size_t captures_ = 0;
};

}  // namespace models
