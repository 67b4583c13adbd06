// Random kernels: a thread per element computes its own Philox block (counter-based, so the
// values do not depend on the launch shape).
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/grid_stride.cuh"
#include "kernels/cuda/philox.cuh"
#include "kernels/cuda/random.h"

namespace kernels::cuda {
namespace {

__global__ void uniform_kernel(
    std::uint64_t seed, std::uint64_t offset, float low, float span, float* out, std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride())
    out[i] = low + span * philox_uniform_f32(seed, offset, i);
}

__global__ void normal_kernel(
    std::uint64_t seed, std::uint64_t offset, double mean, double std, float* out, std::int64_t n) {
  constexpr double k2Pow32 = 4294967296.0, kTwoPi = 6.283185307179586476925286766559;
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    const PhiloxWords b = philox_block(seed, offset + static_cast<std::uint64_t>(i / 2));
    const int lane = 2 * static_cast<int>(i % 2);
    const double u1 = (static_cast<double>(b.w[lane]) + 1.0) / k2Pow32;
    const double u2 = static_cast<double>(b.w[lane + 1]) / k2Pow32;
    out[i] = static_cast<float>(mean + std * sqrt(-2.0 * log(u1)) * cos(kTwoPi * u2));
  }
}

__global__ void randint_kernel(std::uint64_t seed,
                               std::uint64_t offset,
                               std::int64_t low,
                               std::uint64_t range,
                               std::int64_t* out,
                               std::int64_t n) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    const PhiloxWords b = philox_block(seed, offset + static_cast<std::uint64_t>(i / 2));
    const int lane = 2 * static_cast<int>(i % 2);
    const unsigned long long word = static_cast<unsigned long long>(b.w[lane]) |
                                    static_cast<unsigned long long>(b.w[lane + 1]) << 32;
    out[i] = low + static_cast<std::int64_t>(__umul64hi(word, range));
  }
}

__global__ void dropout_kernel(const float* x,
                               std::int64_t n,
                               float keep_probability,
                               float scale,
                               std::uint64_t seed,
                               std::uint64_t offset,
                               float* out,
                               float* scale_mask) {
  for (std::int64_t i = first_element(); i < n; i += element_stride()) {
    const float factor = philox_uniform_f32(seed, offset, i) < keep_probability ? scale : 0.0f;
    if (scale_mask != nullptr) scale_mask[i] = factor;
    out[i] = x[i] * factor;
  }
}

}  // namespace

void uniform_f32(std::uint64_t seed,
                 std::uint64_t offset,
                 double low,
                 double high,
                 float* out,
                 std::int64_t n,
                 cudaStream_t stream) {
  launch_elements(n, stream, uniform_kernel, seed, offset, static_cast<float>(low),
                  static_cast<float>(high - low), out, n);
}

void normal_f32(std::uint64_t seed,
                std::uint64_t offset,
                double mean,
                double std,
                float* out,
                std::int64_t n,
                cudaStream_t stream) {
  launch_elements(n, stream, normal_kernel, seed, offset, mean, std, out, n);
}

void randint_i64(std::uint64_t seed,
                 std::uint64_t offset,
                 std::int64_t low,
                 std::int64_t high,
                 std::int64_t* out,
                 std::int64_t n,
                 cudaStream_t stream) {
  if (!(low < high))
    throw std::invalid_argument("kernels::cuda::randint_i64: empty range [" + std::to_string(low) +
                                ", " + std::to_string(high) + ")");
  launch_elements(n, stream, randint_kernel, seed, offset, low,
                  static_cast<std::uint64_t>(high - low), out, n);
}

void dropout_f32(const float* x,
                 std::int64_t n,
                 double p,
                 std::uint64_t seed,
                 std::uint64_t offset,
                 float* out,
                 float* scale_mask,
                 cudaStream_t stream) {
  if (!(p >= 0.0 && p < 1.0))
    throw std::invalid_argument("kernels::cuda::dropout_f32: p must lie in [0, 1), got " +
                                std::to_string(p));
  launch_elements(n, stream, dropout_kernel, x, n, static_cast<float>(1.0 - p),
                  static_cast<float>(1.0 / (1.0 - p)), seed, offset, out, scale_mask);
}

}  // namespace kernels::cuda
