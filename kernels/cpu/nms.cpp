// CPU NMS: one stable descending sort of the scores, then torchvision's greedy loop, run per
// class group for batched_nms (equivalent to torchvision's coordinate-offset trick).
#include "kernels/cpu/nms.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <vector>

#include "engine/dispatch.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// Indices 0..n-1 sorted by score, highest first; ties keep index order.
template <typename T>
std::vector<std::int64_t> score_order(const T* scores, std::int64_t n) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return scores[a] > scores[b]; });
  return order;
}

// torchvision's greedy loop over `order` (a subsequence of the score order); sets keep[i].
template <typename T>
void greedy(const T* box,
            const std::vector<T>& areas,
            const std::vector<std::int64_t>& order,
            double threshold,
            std::vector<char>& keep) {
  std::vector<char> suppressed(order.size(), 0);
  for (std::size_t a = 0; a < order.size(); ++a) {
    if (suppressed[a]) continue;
    const std::int64_t i = order[a];
    keep[static_cast<std::size_t>(i)] = 1;
    const T ix1 = box[i * 4], iy1 = box[i * 4 + 1], ix2 = box[i * 4 + 2], iy2 = box[i * 4 + 3];
    const T iarea = areas[static_cast<std::size_t>(i)];
    for (std::size_t b = a + 1; b < order.size(); ++b) {
      if (suppressed[b]) continue;
      const std::int64_t j = order[b];
      const T xx1 = std::max(ix1, box[j * 4]), yy1 = std::max(iy1, box[j * 4 + 1]);
      const T xx2 = std::min(ix2, box[j * 4 + 2]), yy2 = std::min(iy2, box[j * 4 + 3]);
      const T w = std::max(T(0), xx2 - xx1), h = std::max(T(0), yy2 - yy1);
      const T inter = w * h;
      const T iou = inter / (iarea + areas[static_cast<std::size_t>(j)] - inter);
      if (iou > threshold) suppressed[b] = 1;
    }
  }
}

// Runs greedy over each group of `order` (groups given by group_of[i]) and returns the kept
// indices in score order as an i64 tensor.
template <typename T>
Tensor run(const Tensor& boxes,
           const Tensor& scores,
           const std::vector<std::int64_t>* group_of,
           double threshold) {
  const std::int64_t n = boxes.size(0);
  const T* box = boxes.data_ptr<T>();
  std::vector<T> areas(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    areas[static_cast<std::size_t>(i)] =
        (box[i * 4 + 2] - box[i * 4]) * (box[i * 4 + 3] - box[i * 4 + 1]);
  const std::vector<std::int64_t> order = score_order(scores.data_ptr<T>(), n);
  std::vector<char> keep(static_cast<std::size_t>(n), 0);
  if (group_of == nullptr) {
    greedy(box, areas, order, threshold, keep);
  } else {
    std::unordered_map<std::int64_t, std::vector<std::int64_t>> groups;
    for (std::int64_t i : order) groups[(*group_of)[static_cast<std::size_t>(i)]].push_back(i);
    for (const auto& [id, members] : groups) greedy(box, areas, members, threshold, keep);
  }
  std::vector<std::int64_t> kept;
  for (std::int64_t i : order)
    if (keep[static_cast<std::size_t>(i)]) kept.push_back(i);
  return engine::from_vector(kept);
}

}  // namespace

Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold) {
  return engine::dispatch_float(boxes.dtype(), "nms", [&](auto tag) {
    return run<decltype(tag)>(boxes, scores, nullptr, iou_threshold);
  });
}

Tensor batched_nms(const Tensor& boxes,
                   const Tensor& scores,
                   const Tensor& idxs,
                   double iou_threshold) {
  std::vector<std::int64_t> group_of(static_cast<std::size_t>(idxs.numel()));
  engine::dispatch_index(idxs.dtype(), "batched_nms", [&](auto itag) {
    const auto* ip = idxs.data_ptr<decltype(itag)>();
    for (std::size_t i = 0; i < group_of.size(); ++i)
      group_of[i] = static_cast<std::int64_t>(ip[i]);
  });
  return engine::dispatch_float(boxes.dtype(), "batched_nms", [&](auto tag) {
    return run<decltype(tag)>(boxes, scores, &group_of, iou_threshold);
  });
}

}  // namespace kernels::cpu
