// NMS in three kernels: (1) each box's rank in the stable descending score order (a count over all
// boxes; exact, no sort needed), scattering boxes into that order; (2) for each 64x64 block of the
// sorted pairs, a bitmask of "IoU above threshold" (torchvision's layout); (3) one block walks the
// boxes in order, keeping a box unless a kept box's mask row removed it.
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/cuda/box_iou.cuh"
#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/nms.h"

namespace kernels::cuda {
namespace {

constexpr int kBitsPerWord = 64;
constexpr unsigned kRankThreads = 256, kReduceThreads = 128;
constexpr std::int64_t kMaxReduceSharedBytes = 48 * 1024;

std::size_t aligned16(std::size_t bytes) {
  return (bytes + 15) / 16 * 16;
}
std::int64_t words_per_row(std::int64_t n) {
  return (n + kBitsPerWord - 1) / kBitsPerWord;
}

// Workspace: order [n] i64, sorted boxes [n, 4], sorted groups [n] i64, mask [n, words].
struct Workspace {
  std::int64_t* order;
  float* boxes;
  std::int64_t* groups;
  unsigned long long* mask;
  Workspace(void* base, std::int64_t n) {
    auto* p = static_cast<unsigned char*>(base);
    const auto count = static_cast<std::size_t>(n);
    order = reinterpret_cast<std::int64_t*>(p);
    p += aligned16(count * sizeof(std::int64_t));
    boxes = reinterpret_cast<float*>(p);
    p += aligned16(count * 4 * sizeof(float));
    groups = reinterpret_cast<std::int64_t*>(p);
    p += aligned16(count * sizeof(std::int64_t));
    mask = reinterpret_cast<unsigned long long*>(p);
  }
};

// rank(i) = #{j : s[j] > s[i]} + #{j < i : s[j] == s[i]}: the position of i in a stable sort by
// decreasing score. Scores move through shared memory a tile at a time.
__global__ void __launch_bounds__(kRankThreads) rank_kernel(const float* boxes,
                                                            const float* scores,
                                                            const std::int64_t* groups,
                                                            std::int64_t n,
                                                            Workspace w) {
  __shared__ float tile[kRankThreads];
  const std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const float mine = i < n ? scores[i] : 0.0f;
  std::int64_t rank = 0;
  for (std::int64_t base = 0; base < n; base += kRankThreads) {
    __syncthreads();  // the previous tile has been read
    if (base + threadIdx.x < n) tile[threadIdx.x] = scores[base + threadIdx.x];
    __syncthreads();
    const std::int64_t count = min(static_cast<std::int64_t>(kRankThreads), n - base);
    for (std::int64_t t = 0; t < count; ++t) {
      const float s = tile[t];
      rank += (s > mine || (s == mine && base + t < i)) ? 1 : 0;
    }
  }
  if (i >= n) return;
  w.order[rank] = i;
  for (int c = 0; c < 4; ++c) w.boxes[rank * 4 + c] = boxes[i * 4 + c];
  w.groups[rank] = groups != nullptr ? groups[i] : 0;
}

// Block (row block r, column block b), a thread per row: bit j of mask[row, b] is set when the
// sorted box b * 64 + j comes after the row's box, has its group and overlaps it above t.
__global__ void __launch_bounds__(kBitsPerWord)
    mask_kernel(std::int64_t n, float threshold, Workspace w, std::int64_t words) {
  __shared__ float column_boxes[kBitsPerWord * 4];
  __shared__ float column_areas[kBitsPerWord];
  __shared__ std::int64_t column_groups[kBitsPerWord];
  const std::int64_t row_block = blockIdx.y, col_block = blockIdx.x;
  const std::int64_t col0 = col_block * kBitsPerWord, row = row_block * kBitsPerWord + threadIdx.x;
  const std::int64_t cols = min(static_cast<std::int64_t>(kBitsPerWord), n - col0);
  if (static_cast<std::int64_t>(threadIdx.x) < cols) {
    const float* b = w.boxes + (col0 + threadIdx.x) * 4;
    for (int c = 0; c < 4; ++c) column_boxes[threadIdx.x * 4 + c] = b[c];
    column_areas[threadIdx.x] = box_area(b[0], b[1], b[2], b[3]);
    column_groups[threadIdx.x] = w.groups[col0 + threadIdx.x];
  }
  __syncthreads();
  if (row >= n) return;
  unsigned long long bits = 0;
  if (col_block >= row_block) {
    const float* a = w.boxes + row * 4;
    const float area = box_area(a[0], a[1], a[2], a[3]);
    const std::int64_t group = w.groups[row];
    for (std::int64_t j = col_block == row_block ? threadIdx.x + 1 : 0; j < cols; ++j)
      if (column_groups[j] == group &&
          box_iou_of(a, area, &column_boxes[j * 4], column_areas[j]) > threshold)
        bits |= 1ull << j;
  }
  w.mask[row * words + col_block] = bits;
}

// One block: walks the sorted boxes; a box not yet removed is kept and removes the boxes its mask
// row marks. `removed` (one bit per box) lives in dynamic shared memory.
__global__ void __launch_bounds__(kReduceThreads) reduce_kernel(
    std::int64_t n, Workspace w, std::int64_t words, std::int64_t* kept, std::int64_t* kept_count) {
  DYNAMIC_SHARED(unsigned long long, removed);
  for (std::int64_t k = threadIdx.x; k < words; k += blockDim.x) removed[k] = 0;
  __syncthreads();
  std::int64_t count = 0;  // meaningful in thread 0
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t word = i / kBitsPerWord;
    const bool keep = ((removed[word] >> (i % kBitsPerWord)) & 1ull) == 0;
    __syncthreads();  // everyone has read the bit before the row is merged
    if (keep) {
      if (threadIdx.x == 0) kept[count++] = w.order[i];
      const unsigned long long* row = w.mask + i * words;
      for (std::int64_t k = word + threadIdx.x; k < words; k += blockDim.x) removed[k] |= row[k];
      __syncthreads();
    }
  }
  if (threadIdx.x == 0) *kept_count = count;
}

// The largest float not above t: for every float v, v > result exactly when double(v) > t.
float threshold_below(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

}  // namespace

std::size_t nms_workspace_bytes(std::int64_t n) {
  const auto count = static_cast<std::size_t>(n < 0 ? 0 : n);
  return aligned16(count * sizeof(std::int64_t)) * 2 + aligned16(count * 4 * sizeof(float)) +
         count * static_cast<std::size_t>(words_per_row(n < 0 ? 0 : n)) *
             sizeof(unsigned long long);
}

void nms_f32(const float* boxes,
             const float* scores,
             const std::int64_t* groups,
             std::int64_t n,
             double iou_threshold,
             void* workspace,
             std::int64_t* kept,
             std::int64_t* kept_count,
             cudaStream_t stream) {
  if (n <= 0) {
    CUDA_CHECK(cudaMemsetAsync(kept_count, 0, sizeof(std::int64_t), stream));
    return;
  }
  const std::int64_t words = words_per_row(n);
  const std::int64_t shared = words * static_cast<std::int64_t>(sizeof(unsigned long long));
  if (shared > kMaxReduceSharedBytes || words > 65535)
    throw std::invalid_argument("kernels::cuda::nms_f32: " + std::to_string(n) +
                                " boxes exceed the limit of " +
                                std::to_string(kMaxReduceSharedBytes / 8 * kBitsPerWord) +
                                " (one bit per box in shared memory)");
  const Workspace w(workspace, n);
  launch(rank_kernel, dim3(static_cast<unsigned>((n + kRankThreads - 1) / kRankThreads)),
         dim3(kRankThreads), 0, stream, boxes, scores, groups, n, w);
  launch(mask_kernel, dim3(static_cast<unsigned>(words), static_cast<unsigned>(words)),
         dim3(kBitsPerWord), 0, stream, n, threshold_below(iou_threshold), w, words);
  launch(reduce_kernel, dim3(1), dim3(kReduceThreads), static_cast<std::size_t>(shared), stream, n,
         w, words, kept, kept_count);
}

}  // namespace kernels::cuda
