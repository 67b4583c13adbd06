// A batch of transformed images and their targets in plain host memory (no engine types):
// images [N, 3, H, W] float, zero-padded to a multiple of 32, plus per-image targets and metas.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/dataset.h"
#include "data/transforms.h"

namespace data {

// Ground truth of one image in network-input coordinates (after resize and flip).
struct Target {
  std::vector<Box> boxes;
  std::vector<int> labels;        // index into Dataset::categories
  std::vector<std::uint8_t> ood;  // 1 for outlier objects (Dream-Box)
  std::vector<std::uint8_t> difficult;
  std::vector<std::uint8_t> iscrowd;
};

struct HostBatch {
  int size = 0;               // N
  int height = 0;             // padded H (multiple of size_divisor)
  int width = 0;              // padded W
  std::vector<float> images;  // [N, 3, H, W]
  std::vector<Target> targets;
  std::vector<ImageMeta> metas;
};

// The random choices for one image (scale index and flip), drawn from a stream that depends only
// on (seed, epoch, dataset index): the same with any number of workers or batch composition.
struct Augmentation {
  int short_side = 800;
  bool flip = false;
};
Augmentation draw_augmentation(const TransformConfig& config,
                               std::uint64_t seed,
                               std::uint64_t epoch,
                               std::size_t index);

// Decodes and transforms the images at `indices` and collates them (the loader's unit of work).
// `storage` is an optional buffer to reuse for HostBatch::images: fresh multi-megabyte buffers
// cost page faults that, on some machines, take longer than decoding (see Loader::recycle).
HostBatch make_batch(const Dataset& dataset,
                     std::span<const std::size_t> indices,
                     const TransformConfig& config,
                     std::uint64_t seed,
                     std::uint64_t epoch,
                     std::vector<float> storage = {});

// The same from already decoded images (e.g. generated in memory); images[i] is dataset
// image indices[i].
HostBatch make_batch(const Dataset& dataset,
                     std::span<const std::size_t> indices,
                     const std::vector<Image>& images,
                     const TransformConfig& config,
                     std::uint64_t seed,
                     std::uint64_t epoch,
                     std::vector<float> storage = {});

}  // namespace data
