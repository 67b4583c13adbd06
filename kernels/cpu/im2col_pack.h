// The im2col matrix of a chunk of images without storing it: panels of it (and of its transpose)
// are packed straight from the images for the AVX-512 GEMM (an implicit-GEMM convolution).
#pragma once

#include <cstdint>

#include "kernels/cpu/geometry.h"
#include "kernels/cpu/sgemm_avx512.h"

namespace kernels::cpu {

// The output columns [lo, hi) whose input column ow * stride + offset lies inside [0, width):
// outside them a receptive field reads padding. offset = tap * dilation - pad.
struct ValidRange {
  std::int64_t lo, hi;
};
ValidRange valid_outputs(std::int64_t offset,
                         std::int64_t stride,
                         std::int64_t width,
                         std::int64_t outputs);

// The im2col matrix [channels * kh * kw, images * out_h * out_w] of `images` images of one group:
// row (c, ki, kj), column (image, oh, ow) = x[image][c][oh * s + ki * d - pad][ow * s + kj * d -
// pad].
struct Im2colView {
  const float* x;             // the group's first channel in the chunk's first image
  std::int64_t image_stride;  // elements from one image to the next
  std::int64_t channels;      // channels of the group
  std::int64_t images;
  const Conv2dGeometry* g;
};

// Packer of op(B) = the im2col matrix (the forward product weight @ col).
SgemmPackB pack_im2col(const Im2colView& view);
// Packer of op(B) = its transpose (the weight gradient grad_out @ col^T).
SgemmPackB pack_im2col_transposed(const Im2colView& view);

// Rows of the phase planes of an image's channels, zero outside the image (the input of a strided
// conv read in place by sgemm_avx512_offset_b): plane (c, a, b) row r, column q is
// src[c][stride_h * r + a + row0][stride_w * q + b + col0], for r < rows and q < ld.
struct PhaseBand {
  const float* src;  // [channels, height, width]
  std::int64_t channels, height, width, stride_h, stride_w;
  std::int64_t row0, col0;  // source row / column of plane row 0, column 0 in phase 0
  std::int64_t rows, ld;    // rows per plane, floats per plane row
};
// dst [channels * stride_h * stride_w, rows, ld] <- the band's planes.
void fill_phase_band(const PhaseBand& band, float* dst);

}  // namespace kernels::cpu
