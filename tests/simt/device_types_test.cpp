// kernels/cuda/device_types.cuh in emulation: f16/bf16 conversions round to nearest even and
// agree bit for bit with the engine's (so tensors' 16-bit storage is read the same way).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/half.h"
#include "kernels/cuda/device_types.cuh"
#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::bf16;
using kernels::cuda::f16;
using kernels::cuda::launch;
using simt_test::DeviceBuffer;

template <typename T>
__global__ void round_trip(const float* in, T* stored, float* out, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= n) return;
  stored[i] = kernels::cuda::from_float<T>(in[i]);
  out[i] = kernels::cuda::to_float(stored[i]);
}

std::vector<float> special_values() {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 65520.0f, 1e-8f, 5.96e-8f, 6.1e-5f, 3.14159265f,
                          1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 1.0f + 1.0f / 256, 1e38f,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::denorm_min()};
  const std::vector<float> r = simt_test::random_floats(200, 11, -100.0f, 100.0f);
  v.insert(v.end(), r.begin(), r.end());
  return v;
}

TEST(SimtDeviceTypes, HalfConversionsMatchTheEngineBitForBit) {
  const std::vector<float> in = special_values();
  const int n = static_cast<int>(in.size());
  DeviceBuffer<float> d_in(in), d_out(in.size());
  DeviceBuffer<f16> stored(in.size());
  launch(round_trip<f16>, dim3((n + 63) / 64), dim3(64), 0, nullptr, d_in.get(), stored.get(), d_out.get(), n);
  const std::vector<f16> bits = stored.download();
  const std::vector<float> out = d_out.download();
  for (int i = 0; i < n; ++i) {
    const engine::Half want = engine::float_to_half(in[i]);
    EXPECT_EQ(__half_as_ushort(bits[i]), want.bits) << "value " << in[i];
    EXPECT_EQ(out[i], engine::half_to_float(want)) << "value " << in[i];
  }
  EXPECT_EQ(__half_as_ushort(bits[4]), 0x7bffu);                           // 65504 is the largest half
  EXPECT_EQ(__half_as_ushort(bits[5]), 0x7c00u);                           // 65520 rounds up to inf
  EXPECT_EQ(__half_as_ushort(bits[10]), 0x3c00u);                          // 1 + 2^-11: tie, rounds to even (1.0)
  EXPECT_EQ(__half_as_ushort(bits[11]), 0x3c02u);                          // 1 + 3*2^-11: tie, rounds to even
}

TEST(SimtDeviceTypes, BFloat16ConversionsMatchTheEngineBitForBit) {
  std::vector<float> in = special_values();
  in.push_back(std::numeric_limits<float>::quiet_NaN());
  const int n = static_cast<int>(in.size());
  DeviceBuffer<float> d_in(in), d_out(in.size());
  DeviceBuffer<bf16> stored(in.size());
  launch(round_trip<bf16>, dim3((n + 63) / 64), dim3(64), 0, nullptr, d_in.get(), stored.get(), d_out.get(), n);
  const std::vector<bf16> bits = stored.download();
  const std::vector<float> out = d_out.download();
  for (int i = 0; i + 1 < n; ++i) {
    const engine::BFloat16 want = engine::float_to_bf16(in[i]);
    EXPECT_EQ(__bfloat16_as_ushort(bits[i]), want.bits) << "value " << in[i];
    EXPECT_EQ(out[i], engine::bf16_to_float(want)) << "value " << in[i];
  }
  EXPECT_EQ(__bfloat16_as_ushort(bits[12]), 0x3f80u);  // 1 + 2^-8: tie, rounds to even (1.0)
  EXPECT_TRUE(std::isnan(out[n - 1]));
}

}  // namespace
