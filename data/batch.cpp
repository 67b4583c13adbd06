// Host batch -> engine tensors (see batch.h). Targets become small per-image tensors so images
// with zero objects are represented as [0, 4] / [0] tensors, never skipped.
#include "data/batch.h"

#include <cstring>
#include <stdexcept>

namespace data {

namespace {

template <typename T, typename U>
engine::Tensor vector_tensor(const std::vector<U>& values, engine::DType dtype) {
  engine::Tensor t = engine::empty({static_cast<std::int64_t>(values.size())}, {.dtype = dtype});
  T* p = t.data_ptr<T>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  return t;
}

}  // namespace

Batch to_batch(const HostBatch& host) {
  const std::int64_t n = host.size, h = host.height, w = host.width;
  if (host.images.size() != static_cast<std::size_t>(n * 3 * h * w) ||
      host.targets.size() != static_cast<std::size_t>(n) ||
      host.metas.size() != static_cast<std::size_t>(n))
    throw std::invalid_argument("to_batch: host batch is inconsistent (" +
                                std::to_string(host.images.size()) +
                                " floats for N=" + std::to_string(n) + ", H=" + std::to_string(h) +
                                ", W=" + std::to_string(w) + ")");
  Batch batch;
  batch.images = engine::empty({n, 3, h, w});
  if (!host.images.empty())
    std::memcpy(batch.images.data_ptr<float>(), host.images.data(),
                host.images.size() * sizeof(float));
  for (const Target& t : host.targets) {
    const auto m = static_cast<std::int64_t>(t.boxes.size());
    engine::Tensor boxes = engine::empty({m, 4});
    float* b = boxes.data_ptr<float>();
    for (std::int64_t i = 0; i < m; ++i) {
      const Box& box = t.boxes[static_cast<std::size_t>(i)];
      b[4 * i + 0] = static_cast<float>(box.x1);
      b[4 * i + 1] = static_cast<float>(box.y1);
      b[4 * i + 2] = static_cast<float>(box.x2);
      b[4 * i + 3] = static_cast<float>(box.y2);
    }
    batch.boxes.push_back(boxes);
    batch.labels.push_back(vector_tensor<std::int64_t>(t.labels, engine::DType::i64));
    batch.ood.push_back(vector_tensor<std::uint8_t>(t.ood, engine::DType::u8));
    batch.difficult.push_back(vector_tensor<std::uint8_t>(t.difficult, engine::DType::u8));
  }
  batch.metas = host.metas;
  return batch;
}

}  // namespace data
