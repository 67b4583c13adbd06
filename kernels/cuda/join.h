// f32 concatenation and constant padding on the device: cat writes each input into its slice of
// the output; pad fills and copies in one pass (negative pads crop), as engine::cat / engine::pad.
#pragma once

#include <cstdint>

#include "kernels/cuda/runtime.cuh"

namespace kernels::cuda {

// Device pointers, contiguous, asynchronous on `stream`; nothing is launched for empty outputs.

// out [outer, out_n, inner][:, offset .. offset + n, :] = in [outer, n, inner]: one call per
// input of a cat along the middle dim (offset = the sizes of the inputs before it).
void cat_slice_f32(const float* in,
                   std::int64_t outer,
                   std::int64_t n,
                   std::int64_t inner,
                   float* out,
                   std::int64_t out_n,
                   std::int64_t offset,
                   cudaStream_t stream);
// The same for i64 data (index tensors, labels, levels).
void cat_slice_i64(const std::int64_t* in,
                   std::int64_t outer,
                   std::int64_t n,
                   std::int64_t inner,
                   std::int64_t* out,
                   std::int64_t out_n,
                   std::int64_t offset,
                   cudaStream_t stream);

constexpr int kMaxPadRank = 8;

// in_sizes[d] + before[d] + after[d] = out_sizes[d]; before/after may be negative (crop).
struct PadShape {
  int rank = 0;
  std::int64_t in_sizes[kMaxPadRank] = {};
  std::int64_t out_sizes[kMaxPadRank] = {};
  std::int64_t before[kMaxPadRank] = {};
};

// out[c] = in[c - before] where that lies inside in, else value.
void constant_pad_f32(
    const float* in, const PadShape& shape, float value, float* out, cudaStream_t stream);

}  // namespace kernels::cuda
