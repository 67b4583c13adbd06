// Training loop of the detector. Each step: next batch from the loader, losses, backward,
// clipping-free SGD step (as torchvision/MMDet), schedule update, log; checkpoints every N steps.
#include "train/detector_training.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "data/batch.h"
#include "data/loader.h"
#include "engine/cuda_backend.h"
#include "engine/host_allocator.h"
#include "engine/ops.h"
#include "engine/optim/schedule.h"

namespace train {

models::FasterRcnnConfig detector_config(const Options& o, std::int64_t num_classes) {
  models::FasterRcnnConfig c;
  c.backbone = {
      .depth = o.depth, .trainable_layers = o.trainable_layers, .group_norm = o.norm == "group"};
  c.fpn_channels = o.fpn_channels;
  c.roi_heads.num_classes = num_classes + 1;
  c.roi_heads.representation = o.representation;
  c.roi_heads.ood_head = o.ood_head;
  c.roi_heads.gt_proposals_keep_ood_flag = o.ood_gt_mode == "intended";
  c.roi_heads.vos = o.vos;
  c.roi_heads.vos_config = {.queue_size = o.vos_queue,
                            .samples = o.vos_samples,
                            .loss_weight = o.vos_loss_weight,
                            .start_fraction = o.vos_start};
  if (o.detector_variant == "mmdet") c = models::mmdet_variant(c);
  // After the variant: shapes trims the proposal counts of both (300 post-NMS in training).
  if (o.preset == "shapes") {  // small images and few objects: fewer anchors and RoIs
    c.rpn.pre_nms_top_n_train = 600;
    c.rpn.post_nms_top_n_train = 300;
    c.rpn.pre_nms_top_n_test = 300;
    c.rpn.post_nms_top_n_test = 100;
    c.rpn.batch_size_per_image = 128;
    c.roi_heads.batch_size_per_image = 128;
  }
  return c;
}

std::vector<models::DetectionTargets> detector_targets(const data::Batch& batch,
                                                       engine::Device device) {
  std::vector<models::DetectionTargets> out;
  for (std::size_t i = 0; i < batch.boxes.size(); ++i)
    out.push_back({batch.boxes[i].to(device), engine::add(batch.labels[i], 1.0).to(device),
                   batch.ood[i].defined() ? batch.ood[i].to(device) : engine::Tensor()});
  return out;
}

namespace {

double value(const engine::Tensor& t) {
  return t.defined() ? t.item() : 0.0;
}

}  // namespace

std::int64_t train_detector(const Options& o,
                            RunDirectory& run,
                            models::FasterRcnn& model,
                            const data::Dataset& dataset,
                            const nlohmann::json& info) {
  data::LoaderConfig lc;
  lc.batch_size = o.batch_size;
  lc.num_workers = o.workers;
  lc.seed = o.seed;
  lc.drop_last = true;
  lc.transform = data::TransformConfig::test(o.test_size, o.max_size);
  lc.transform.short_sides = o.train_sizes;
  lc.transform.flip_probability = 0.5;
  data::Loader loader(dataset, lc);
  const auto per_epoch =
      static_cast<std::int64_t>(dataset.images.size()) / o.batch_size;  // drop_last
  if (per_epoch == 0) throw std::runtime_error("training set has fewer images than one batch");
  // The schedule follows the planned run; --max-steps only stops it early (so a stopped run
  // resumes onto the same learning rates).
  const std::int64_t planned = per_epoch * o.epochs;
  const std::int64_t total = o.max_steps > 0 ? std::min(planned, o.max_steps) : planned;

  std::vector<engine::Tensor> params;
  for (auto& p : model.parameters())
    if (p.requires_grad()) params.push_back(p);
  engine::optim::SGD sgd(params,
                         {.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay});
  // Decay x0.1 at 2/3 and 8/9 of the run (the paper's intent: epochs 12 and 16 of 18).
  const engine::optim::LinearWarmup schedule(
      o.warmup_steps, 0.001,
      std::make_shared<engine::optim::MultiStepSchedule>(
          std::vector<std::int64_t>{planned * 2 / 3, planned * 8 / 9}, 0.1));
  engine::Generator sampler(o.seed + 1);
  const engine::Device device = engine::Device::parse(o.device);  // the model's device

  TrainingState state;
  if (o.resume && run.has_checkpoint()) {
    state = run.load_checkpoint(model, &sgd);
    sampler.set_offset(state.generator_offset);
    std::printf("resumed from %s at step %lld\n", run.checkpoint_path().c_str(),
                static_cast<long long>(state.step));
  }
  model.train();
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t first_step = state.step;
  while (state.step < total) {
    loader.start_epoch(static_cast<std::uint64_t>(state.epoch));
    for (std::int64_t skip = 0; skip < state.batch_in_epoch; ++skip)
      loader.recycle(std::move(*loader.next()));
    while (state.step < total) {
      auto host = loader.next();
      if (!host) break;
      const data::Batch batch = data::to_batch(*host);
      std::vector<std::array<std::int64_t, 2>> sizes;
      for (const auto& m : batch.metas) sizes.push_back({m.height, m.width});
      loader.recycle(std::move(*host));

      schedule.apply(sgd, state.step);
      if (model.roi_heads->vos) model.roi_heads->vos->set_progress(state.step, planned);
      sgd.zero_grad();
      const models::FasterRcnnLosses losses =
          model.losses(batch.images.to(device), sizes, detector_targets(batch, device), sampler);
      const engine::Tensor total_loss = losses.total();
      const double loss = total_loss.item();
      const nlohmann::json terms = {{"rpn_objectness", value(losses.rpn_objectness)},
                                    {"rpn_box", value(losses.rpn_box)},
                                    {"classifier", value(losses.classifier)},
                                    {"box", value(losses.box)},
                                    {"ood", value(losses.ood)},
                                    {"vos", value(losses.vos)}};
      if (!std::isfinite(loss)) {
        throw std::runtime_error(
            "loss is " + std::to_string(loss) + " at step " + std::to_string(state.step) +
            " (terms " + terms.dump() + "); last good checkpoint: " +
            (run.has_checkpoint() ? run.checkpoint_path() : std::string("none")));
      }
      total_loss.backward();
      sgd.step();
      ++state.step;
      ++state.batch_in_epoch;
      state.generator_offset = sampler.offset();

      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate =
          static_cast<double>((state.step - first_step) * o.batch_size) / std::max(elapsed, 1e-9);
      const double eta =
          static_cast<double>((total - state.step) * o.batch_size) / std::max(rate, 1e-9);
      const double lr = sgd.param_groups()[0].lr;
      run.log({{"step", state.step},
               {"epoch", state.epoch},
               {"loss", loss},
               {"terms", terms},
               {"lr", lr},
               {"images_per_second", rate}});
      std::printf(
          "\rstep %lld/%lld  epoch %lld  loss %.4f (rpn %.3f/%.3f cls %.3f box %.3f ood %.3f vos "
          "%.3f)  lr "
          "%.2e  "
          "%.2f img/s  ETA %s  %s mem %.0f MB   ",
          static_cast<long long>(state.step), static_cast<long long>(total),
          static_cast<long long>(state.epoch), loss, value(losses.rpn_objectness),
          value(losses.rpn_box), value(losses.classifier), value(losses.box), value(losses.ood),
          value(losses.vos), lr, rate, format_duration(eta).c_str(), o.device.c_str(),
          static_cast<double>(device.is_cuda()
                                  ? engine::cuda_backend::memory_stats().current_bytes
                                  : engine::HostAllocator::instance().stats().current_bytes) /
              1e6);
      std::fflush(stdout);
      if (state.step % o.checkpoint_every == 0 || state.step == total)
        run.save_checkpoint(model, sgd, state, info);
    }
    if (state.step < total) {  // the epoch ran out of batches
      ++state.epoch;
      state.batch_in_epoch = 0;
    }
  }
  std::printf("\n");
  return state.step;
}

}  // namespace train
