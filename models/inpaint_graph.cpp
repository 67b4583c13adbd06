// The inpainting loop as a CUDA graph: capture with static inputs and noise slots allocated before
// the capture, replay after copying the batch and its generator draws in; the UNet sampler.
#include "models/inpaint_graph.h"

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/random.h"

namespace models {

std::string inpaint_graph_unsupported(const DDIMScheduler& scheduler, engine::Device device) {
  if (!device.is_cuda())
    return "CUDA graphs need a cuda device (the sampler runs on " + device.str() + ")";
  if (!engine::cuda_backend::available())
    return "this build has no usable CUDA backend: " + engine::cuda_backend::description();
  if (scheduler.config().thresholding)
    return "dynamic thresholding takes its per-sample quantiles on the host every step, which a "
           "CUDA graph cannot hold; use clipping or turn graph capture off";
  return "";
}

namespace {

bool same_layout(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && a.device() == b.device();
}

}  // namespace

InpaintGraph::InpaintGraph(const NoisePredictor& model,
                           const Tensor& null_emb,
                           const DDIMScheduler& scheduler,
                           const Tensor& image,
                           const Tensor& mask,
                           const Tensor& class_emb,
                           const InpaintOptions& options)
    : scheduler_(scheduler), options_(options), null_emb_(null_emb) {
  const std::string why = inpaint_graph_unsupported(scheduler, image.device());
  ENGINE_CHECK(why.empty(), "InpaintGraph: ", why);
  const auto like = [](const Tensor& t) {
    return engine::empty(t.shape(), {.dtype = t.dtype(), .device = t.device()});
  };
  // Everything copied in before a replay is allocated before the capture: a block the capture
  // allocates may have served earlier captured work, which would overwrite it during the replay.
  x_T_ = like(image);
  image_ = like(image);
  mask_ = like(mask);
  class_emb_ = like(class_emb);
  for (std::size_t i = inpaint_noise_draws(scheduler_, options_); i > 0; --i)
    noise_.push_back(like(image));
  std::size_t used = 0;
  graph_.capture([&] {
    const auto next_noise = [&] {
      ENGINE_CHECK(used < noise_.size(), "InpaintGraph: the loop draws more noise than counted");
      return noise_[used++];
    };
    out_ = inpaint_loop(model, null_emb_, scheduler_, x_T_, image_, mask_, class_emb_, options_,
                        next_noise);
  });
  ENGINE_CHECK(used == noise_.size(), "InpaintGraph: the loop drew ", used, " noise tensors, ",
               noise_.size(), " were counted");
}

bool InpaintGraph::fits(const Tensor& image,
                        const Tensor& mask,
                        const Tensor& class_emb,
                        const InpaintOptions& options) const {
  return same_layout(image, image_) && same_layout(mask, mask_) &&
         same_layout(class_emb, class_emb_) &&
         options.num_inference_steps == options_.num_inference_steps &&
         options.eta == options_.eta && options.guidance_scale == options_.guidance_scale &&
         options.replace_known == options_.replace_known;
}

Tensor InpaintGraph::run(const Tensor& image,
                         const Tensor& mask,
                         const Tensor& class_emb,
                         engine::Generator& gen) {
  ENGINE_CHECK(fits(image, mask, class_emb, options_), "InpaintGraph::run: the batch (image ",
               image.str(), ", mask ", mask.str(), ", class_emb ", class_emb.str(),
               ") does not match the captured one (image ", image_.str(), ", mask ", mask_.str(),
               ", class_emb ", class_emb_.str(), ")");
  engine::normal_(x_T_, 0.0, 1.0, gen);  // inpaint's draws (randn), in its order
  for (Tensor& slot : noise_) engine::normal_(slot, 0.0, 1.0, gen);
  image_.copy_(image);
  mask_.copy_(mask);
  class_emb_.copy_(class_emb);
  graph_.replay();
  return out_.clone();
}

InpaintSampler::InpaintSampler(UNet2DModel& unet,
                               const DDIMSchedulerConfig& scheduler,
                               const InpaintOptions& options,
                               bool cuda_graph)
    : unet_(unet), scheduler_(scheduler), options_(options), cuda_graph_(cuda_graph) {
  if (!cuda_graph_) return;
  const std::string why = inpaint_graph_unsupported(scheduler_, unet.device());
  ENGINE_CHECK(why.empty(), "sampling as a CUDA graph: ", why);
}

Tensor InpaintSampler::sample(const Tensor& image,
                              const Tensor& mask,
                              const Tensor& class_emb,
                              engine::Generator& gen) {
  engine::autograd::NoGradGuard no_grad;
  EvalGuard eval(unet_);
  if (!null_emb_.defined()) null_emb_ = null_embedding(unet_);
  if (!cuda_graph_)
    return inpaint(noise_predictor(unet_), null_emb_, scheduler_, image, mask, class_emb, options_,
                   gen);
  if (!graph_ || !graph_->fits(image, mask, class_emb, options_)) {
    graph_.reset();  // its pool goes back before the next capture
    graph_ = std::make_unique<InpaintGraph>(noise_predictor(unet_), null_emb_, scheduler_, image,
                                            mask, class_emb, options_);
    ++captures_;
  }
  return graph_->run(image, mask, class_emb, gen);
}

}  // namespace models
