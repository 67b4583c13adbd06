// Implicit-GEMM convolution: forward, backward-data and backward-weight are one tiled GEMM
// (implicit_gemm.cuh) each, with operands read from x / weight / grad_out by index arithmetic.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/conv.h"
#include "kernels/cuda/implicit_gemm.cuh"
#include "kernels/cuda/launch.cuh"

namespace kernels::cuda {
namespace {

// Index math is 32-bit (64-bit division is several times slower on a GPU): the launchers check
// that every tensor and GEMM dimension has fewer than 2^31 elements.
using Index = int;

// Sizes every problem needs, copied into the kernel's parameters.
struct ConvSizes {
  Index channels, height, width, out_channels, out_h, out_w;
  Index cg, og;        // channels per group: input, output
  Index kh, kw, taps;  // kernel size, taps = kh * kw
  Index sh, sw, ph, pw, dh, dw;
  explicit ConvSizes(const Conv2dGeometry& g)
      : channels(static_cast<Index>(g.in_channels)),
        height(static_cast<Index>(g.height)),
        width(static_cast<Index>(g.width)),
        out_channels(static_cast<Index>(g.out_channels)),
        out_h(static_cast<Index>(g.out_h)),
        out_w(static_cast<Index>(g.out_w)),
        cg(static_cast<Index>(g.in_channels / g.groups)),
        og(static_cast<Index>(g.out_channels / g.groups)),
        kh(static_cast<Index>(g.kernel_h)),
        kw(static_cast<Index>(g.kernel_w)),
        taps(static_cast<Index>(g.kernel_h * g.kernel_w)),
        sh(static_cast<Index>(g.stride_h)),
        sw(static_cast<Index>(g.stride_w)),
        ph(static_cast<Index>(g.pad_h)),
        pw(static_cast<Index>(g.pad_w)),
        dh(static_cast<Index>(g.dilation_h)),
        dw(static_cast<Index>(g.dilation_w)) {}
  __device__ Index out_plane() const { return out_h * out_w; }
};

// Forward, per group z: out[n, z og + i, q] = sum_p weight[z og + i, p] * x_col[p, (n, q)], with
// p = (c, ki, kj) a tap of the group's input channels and q = (oh, ow) an output pixel.
struct ForwardProblem {
  ConvSizes s;
  const float* x;       // [N, C, H, W]
  const float* weight;  // [O, cg * taps]
  const float* bias;    // [O] or null
  float* out;           // [N, O, out_h, out_w]

  struct Column {
    const float* image;  // x of this image and group: [cg, H, W]
    Index ih0, iw0;
  };
  __device__ float a(int z, Index i, Index p) const {
    return weight[(z * s.og + i) * s.cg * s.taps + p];
  }
  __device__ Column column(int z, Index j) const {
    const Index n = j / s.out_plane(), q = j % s.out_plane();
    return {x + (n * s.channels + z * s.cg) * s.height * s.width, (q / s.out_w) * s.sh - s.ph,
            (q % s.out_w) * s.sw - s.pw};
  }
  __device__ float b(const Column& col, Index p) const {
    const Index c = p / s.taps, tap = p % s.taps;
    const Index ih = col.ih0 + (tap / s.kw) * s.dh, iw = col.iw0 + (tap % s.kw) * s.dw;
    if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) return 0.0f;
    return col.image[(c * s.height + ih) * s.width + iw];
  }
  __device__ void store(int z, Index i, Index j, float v) const {
    const Index n = j / s.out_plane(), q = j % s.out_plane(), o = z * s.og + i;
    out[(n * s.out_channels + o) * s.out_plane() + q] = bias != nullptr ? v + bias[o] : v;
  }
};

// Backward data, per group z: grad_x[n, z cg + c, (ih, iw)] = sum over p = (o, ki, kj) of
// weight[z og + o, c, ki, kj] * grad_out[n, z og + o, oh, ow], where oh = (ih + ph - ki dh) / sh
// must be a whole number inside the output (likewise ow): a gather, so no atomics are needed.
struct BackwardDataProblem {
  ConvSizes s;
  const float* grad_out;  // [N, O, out_h, out_w]
  const float* weight;    // [O, cg, kh, kw]
  float* grad_x;          // [N, C, H, W]

  struct Column {
    const float* image;  // grad_out of this image and group: [og, out_h, out_w]
    Index h, w;          // ih + ph, iw + pw
  };
  __device__ float a(int z, Index c, Index p) const {
    const Index o = p / s.taps, tap = p % s.taps;
    return weight[((z * s.og + o) * s.cg + c) * s.taps + tap];
  }
  __device__ Column column(int z, Index j) const {
    const Index plane = s.height * s.width, n = j / plane, q = j % plane;
    return {grad_out + (n * s.out_channels + z * s.og) * s.out_plane(), q / s.width + s.ph,
            q % s.width + s.pw};
  }
  __device__ float b(const Column& col, Index p) const {
    const Index o = p / s.taps, tap = p % s.taps;
    const Index h = col.h - (tap / s.kw) * s.dh, w = col.w - (tap % s.kw) * s.dw;
    if (h < 0 || w < 0 || h % s.sh != 0 || w % s.sw != 0) return 0.0f;
    const Index oh = h / s.sh, ow = w / s.sw;
    if (oh >= s.out_h || ow >= s.out_w) return 0.0f;
    return col.image[(o * s.out_h + oh) * s.out_w + ow];
  }
  __device__ void store(int z, Index c, Index j, float v) const {
    const Index plane = s.height * s.width, n = j / plane, q = j % plane;
    grad_x[(n * s.channels + z * s.cg + c) * plane + q] = v;
  }
};

// Backward weight, per group z: grad_weight[z og + o, k] = sum over r = (n, q) of
// grad_out[n, z og + o, q] * x_col[k, r], k = (c, ki, kj): the reduction runs over every output
// pixel of every image, so it is split across blocks when the output alone gives few blocks;
// the splits add their partial sums into the zero-filled grad_weight.
struct BackwardWeightProblem {
  ConvSizes s;
  const float* grad_out;  // [N, O, out_h, out_w]
  const float* x;         // [N, C, H, W]
  float* grad_weight;     // [O, cg * taps]

  struct Column {
    const float* channel;  // x[0, z cg + c]
    Index dh, dw;          // tap offsets ki dh - ph, kj dw - pw
  };
  __device__ float a(int z, Index o, Index r) const {
    const Index n = r / s.out_plane(), q = r % s.out_plane();
    return grad_out[(n * s.out_channels + z * s.og + o) * s.out_plane() + q];
  }
  __device__ Column column(int z, Index k) const {
    const Index c = k / s.taps, tap = k % s.taps;
    return {x + (z * s.cg + c) * s.height * s.width, (tap / s.kw) * s.dh - s.ph,
            (tap % s.kw) * s.dw - s.pw};
  }
  __device__ float b(const Column& col, Index r) const {
    const Index n = r / s.out_plane(), q = r % s.out_plane();
    const Index ih = (q / s.out_w) * s.sh + col.dh, iw = (q % s.out_w) * s.sw + col.dw;
    if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) return 0.0f;
    return col.channel[(n * s.channels * s.height + ih) * s.width + iw];
  }
  __device__ void store(int z, Index o, Index k, float v) const {
    atomicAdd(grad_weight + (z * s.og + o) * s.cg * s.taps + k, v);
  }
};

// grad_bias[o] = block_sum over (n, q) of grad_out[n, o, q]: one block per output channel.
__global__ void bias_grad_kernel(const float* grad_out,
                                 float* grad_bias,
                                 std::int64_t batch,
                                 std::int64_t channels,
                                 std::int64_t plane) {
  const std::int64_t o = blockIdx.x;
  float partial = 0.0f;
  for (std::int64_t r = threadIdx.x; r < batch * plane; r += blockDim.x)
    partial += grad_out[((r / plane) * channels + o) * plane + r % plane];
  const float total = block_sum(partial);
  if (threadIdx.x == 0) grad_bias[o] = total;
}

// x, out and weight offsets are computed in Index (int) inside the problems.
void check_index_range(const Conv2dGeometry& g, const char* who) {
  const std::int64_t x = g.batch * g.in_channels * g.height * g.width,
                     out = g.batch * g.out_channels * g.out_h * g.out_w,
                     weight = g.out_channels * (g.in_channels / g.groups) * g.kernel_h * g.kernel_w;
  const std::int64_t largest = std::max({x, out, weight});
  if (largest > 2147483647)
    throw std::invalid_argument(
        std::string(who) + ": a tensor of " + std::to_string(largest) +
        " elements exceeds the kernel's 32-bit index math (2^31 - 1); split the batch");
}

// The backward-weight grid aims at this many blocks (two waves of a 132-SM GPU).
constexpr std::int64_t kTargetBlocks = 256, kMinSplitDepth = 512;

}  // namespace

void conv2d_forward_f32(const float* x,
                        const float* weight,
                        const float* bias,
                        const Conv2dGeometry& g,
                        float* out,
                        cudaStream_t stream) {
  check_index_range(g, "kernels::cuda::conv2d_forward_f32");
  const ConvSizes s(g);
  implicit_gemm::run(ForwardProblem{s, x, weight, bias, out}, g.groups, s.og,
                     g.batch * g.out_h * g.out_w, s.cg * s.taps, stream,
                     "kernels::cuda::conv2d_forward_f32");
}

void conv2d_backward_data_f32(const float* grad_out,
                              const float* weight,
                              const Conv2dGeometry& g,
                              float* grad_x,
                              cudaStream_t stream) {
  check_index_range(g, "kernels::cuda::conv2d_backward_data_f32");
  const ConvSizes s(g);
  implicit_gemm::run(BackwardDataProblem{s, grad_out, weight, grad_x}, g.groups, s.cg,
                     g.batch * g.height * g.width, s.og * s.taps, stream,
                     "kernels::cuda::conv2d_backward_data_f32");
}

void conv2d_backward_weight_f32(const float* grad_out,
                                const float* x,
                                const Conv2dGeometry& g,
                                float* grad_weight,
                                cudaStream_t stream) {
  check_index_range(g, "kernels::cuda::conv2d_backward_weight_f32");
  const ConvSizes s(g);
  const std::int64_t k = std::int64_t{s.cg} * s.taps, reduction = g.batch * g.out_h * g.out_w;
  if (g.out_channels <= 0 || k <= 0) return;
  CUDA_CHECK(cudaMemsetAsync(grad_weight, 0,
                             static_cast<std::size_t>(g.out_channels * k) * sizeof(float), stream));
  // Split the reduction until the grid has about kTargetBlocks blocks, each split at least
  // kMinSplitDepth deep.
  const std::int64_t blocks = g.groups *
                              ((s.og + implicit_gemm::kTileM - 1) / implicit_gemm::kTileM) *
                              ((k + implicit_gemm::kTileN - 1) / implicit_gemm::kTileN);
  const std::int64_t splits = std::clamp<std::int64_t>(
      std::min((kTargetBlocks + blocks - 1) / blocks, reduction / kMinSplitDepth), 1,
      std::max<std::int64_t>(65535 / g.groups, 1));
  implicit_gemm::run(BackwardWeightProblem{s, grad_out, x, grad_weight}, g.groups, s.og, k,
                     reduction, stream, "kernels::cuda::conv2d_backward_weight_f32", splits);
}

void conv2d_backward_bias_f32(const float* grad_out,
                              const Conv2dGeometry& g,
                              float* grad_bias,
                              cudaStream_t stream) {
  if (g.out_channels <= 0) return;
  const std::int64_t work = g.batch * g.out_h * g.out_w;
  const auto threads =
      static_cast<unsigned>(std::clamp<std::int64_t>((work + 31) / 32 * 32, 32, 256));
  launch(bias_grad_kernel, dim3(static_cast<unsigned>(g.out_channels)), dim3(threads), 0, stream,
         grad_out, grad_bias, g.batch, g.out_channels, g.out_h * g.out_w);
}

}  // namespace kernels::cuda
