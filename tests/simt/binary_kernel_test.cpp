// kernels/cuda/binary.cu in emulation against the CPU oracle (kernels::cpu::binary): every op,
// odd lengths around the float4 width, aligned and unaligned pointers, aliasing, many blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/binary.h"
#include "tests/simt/device_buffer.h"

namespace {

using engine::BinaryOp;
using simt_test::DeviceBuffer;

std::vector<float> cpu_binary(BinaryOp op, const std::vector<float>& a, const std::vector<float>& b) {
  const auto n = static_cast<std::int64_t>(a.size());
  const engine::Tensor ta = engine::from_vector(a, {n}), tb = engine::from_vector(b, {n});
  const engine::Tensor out = engine::empty({n});
  kernels::cpu::binary(op, ta, tb, out);
  return out.to_vector<float>();
}

// Runs the kernel on [offset, offset + n) of three device arrays (offset 1 breaks 16-byte alignment).
void check(BinaryOp op, std::int64_t n, std::int64_t offset, std::uint32_t seed) {
  const auto count = static_cast<std::size_t>(n);
  std::vector<float> a = simt_test::random_floats(count, seed, -4.0f, 4.0f);
  std::vector<float> b = simt_test::random_floats(count, seed + 1, 0.5f, 3.0f);  // no division by ~0
  if (n > 2) b[1] = NAN;  // maximum/minimum must propagate NaN like the CPU
  DeviceBuffer<float> da(count + offset), db(count + offset), dout(count + offset);
  da.poison(0);
  db.poison(0);
  CUDA_CHECK(cudaMemcpy(da.get() + offset, a.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(db.get() + offset, b.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  dout.poison();
  kernels::cuda::binary_contiguous_f32(op, da.get() + offset, db.get() + offset, dout.get() + offset, n, nullptr);
  const std::vector<float> got = dout.download(), want = cpu_binary(op, a, b);
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = got[offset + i], w = want[i];
    if (std::isnan(w)) {
      ASSERT_TRUE(std::isnan(g)) << engine::op_name(op) << " n " << n << " element " << i;
    } else {
      ASSERT_EQ(g, w) << engine::op_name(op) << " n " << n << " offset " << offset << " element " << i;
    }
  }
  for (std::int64_t i = 0; i < offset; ++i) EXPECT_TRUE(std::isnan(got[i])) << "wrote before the output";
}

const BinaryOp kOps[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul,
                         BinaryOp::div, BinaryOp::maximum, BinaryOp::minimum};

TEST(CudaBinaryKernel, MatchesCpuForOddLengthsAlignedAndUnaligned) {
  std::uint32_t seed = 1;
  for (BinaryOp op : kOps)
    for (std::int64_t n : {1, 3, 4, 5, 7, 255, 1025, 4099})
      for (std::int64_t offset : {0, 1}) check(op, n, offset, seed++);
}

TEST(CudaBinaryKernel, ManyBlocks) {
  check(BinaryOp::add, 300001, 0, 77);  // 293 blocks of float4 work plus a tail of 1
  check(BinaryOp::mul, 200003, 1, 78);  // unaligned: 782 blocks of scalar work
}

TEST(CudaBinaryKernel, OutputMayAliasAnInput) {
  const std::int64_t n = 1001;
  const std::vector<float> a = simt_test::random_floats(n, 5), b = simt_test::random_floats(n, 6);
  DeviceBuffer<float> da(a), db(b);
  kernels::cuda::binary_contiguous_f32(BinaryOp::sub, da.get(), db.get(), da.get(), n, nullptr);
  EXPECT_EQ(da.download(), cpu_binary(BinaryOp::sub, a, b));
}

TEST(CudaBinaryKernel, EmptyIsANoOpAndComparisonsAreRefused) {
  kernels::cuda::binary_contiguous_f32(BinaryOp::add, nullptr, nullptr, nullptr, 0, nullptr);
  DeviceBuffer<float> d(4);
  EXPECT_THROW(kernels::cuda::binary_contiguous_f32(BinaryOp::lt, d.get(), d.get(), d.get(), 4, nullptr),
               std::invalid_argument);
}

}  // namespace
