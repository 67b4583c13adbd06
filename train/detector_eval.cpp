// Inference over a data set with the loader (no shuffling), progress on one line, boxes mapped
// back through each image's resize/flip metadata; optionally skipping images that fail to load.
#include "train/detector_eval.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "data/batch.h"
#include "data/loader.h"
#include "data/transforms.h"

namespace train {

namespace {

// Runs one host batch through the model on `device` and appends its detections to `out` (the
// detections are read back here, where they leave the model).
void detect_batch(models::FasterRcnn& model,
                  const data::HostBatch& host,
                  engine::Device device,
                  std::vector<data::Detection>& out) {
  const data::Batch batch = data::to_batch(host);
  std::vector<std::array<std::int64_t, 2>> sizes;
  for (const auto& m : batch.metas) sizes.push_back({m.height, m.width});
  const auto detections = model.detect(batch.images.to(device), sizes);
  for (std::size_t i = 0; i < detections.size(); ++i) {
    const auto& d = detections[i];
    const auto boxes = d.boxes.to_vector<float>();    // [D, 4]
    const auto scores = d.scores.to_vector<float>();  // [D]
    const auto labels = d.labels.to_vector<std::int64_t>();
    const auto ood = d.ood_scores.defined() ? d.ood_scores.to_vector<float>()
                                            : std::vector<float>(scores.size(), 0.0f);
    const auto energy = d.energies.to_vector<float>();  // [D]
    for (std::size_t k = 0; k < scores.size(); ++k) {
      const data::Box in_input{boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]};
      out.push_back({batch.metas[i].index, data::backward_box(in_input, batch.metas[i]),
                     static_cast<int>(labels[k] - 1), scores[k], ood[k], energy[k]});
    }
  }
}

}  // namespace

std::vector<data::Detection> run_detector(models::FasterRcnn& model,
                                          const data::Dataset& dataset,
                                          const Options& o,
                                          const char* what,
                                          const BadImageHandler& on_bad_image) {
  data::LoaderConfig lc;
  lc.batch_size = o.batch_size;
  lc.num_workers = o.workers;
  lc.shuffle = false;
  lc.transform = data::TransformConfig::test(o.test_size, o.max_size);
  data::Loader loader(dataset, lc);
  loader.start_epoch(0);
  model.eval();
  const engine::Device device = engine::Device::parse(o.device);  // the model's device
  std::vector<data::Detection> out;
  std::size_t done = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t b = 0;; ++b) {
    std::optional<data::HostBatch> host;
    try {
      host = loader.next();
    } catch (const std::exception&) {
      if (!on_bad_image) throw;
      // Batch b failed to load: find the bad image(s) by loading its images one at a time.
      const std::size_t first = b * static_cast<std::size_t>(lc.batch_size);
      const std::size_t last = std::min(dataset.images.size(), first + lc.batch_size);
      for (std::size_t index = first; index < last; ++index) {
        std::optional<data::HostBatch> single;
        try {
          single = data::make_batch(dataset, std::span(&index, 1), lc.transform, lc.seed, 0);
        } catch (const std::exception& e) {
          on_bad_image(index, e.what());
        }
        if (single) detect_batch(model, *single, device, out);
      }
      done = last;
      continue;
    }
    if (!host) break;
    detect_batch(model, *host, device, out);
    done += static_cast<std::size_t>(host->size);
    loader.recycle(std::move(*host));
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\r%s: %zu/%zu images, %.2f img/s (%s)   ", what, done, dataset.images.size(),
                static_cast<double>(done) / std::max(elapsed, 1e-9), o.device.c_str());
    std::fflush(stdout);
  }
  std::printf("\n");
  return out;
}

}  // namespace train
