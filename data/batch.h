// The detector's input batch as engine tensors: images [N, 3, H, W] f32 (normalized, zero-padded
// to /32) and per-image targets. The only part of the data layer that depends on the engine.
#pragma once

#include <vector>

#include "data/host_batch.h"
#include "engine/tensor.h"

namespace data {

struct Batch {
  engine::Tensor images;                  // [N, 3, H, W] f32 CPU
  std::vector<engine::Tensor> boxes;      // per image [M_i, 4] f32: x1, y1, x2, y2 in input pixels
  std::vector<engine::Tensor> labels;     // per image [M_i] i64: 0-based category index
  std::vector<engine::Tensor> ood;        // per image [M_i] u8: 1 = outlier object (Dream-Box)
  std::vector<engine::Tensor> difficult;  // per image [M_i] u8
  std::vector<ImageMeta> metas;           // to map predictions back (backward_box)
};

// Copies a host batch into tensors (one memcpy for the images; cheap next to a training step).
Batch to_batch(const HostBatch& host);

}  // namespace data
