// kernels/cuda/reduce.cu (row sums by warp-shuffle block reduction) in emulation against the CPU
// oracle (kernels::cpu::reduce): widths below, at and above a warp and a block, many rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/reduce.h"
#include "tests/simt/device_buffer.h"

namespace {

using simt_test::DeviceBuffer;

void check(std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  const std::vector<float> x = simt_test::random_floats(static_cast<std::size_t>(rows * cols), seed, -2.0f, 3.0f);
  DeviceBuffer<float> dx(x), dout(static_cast<std::size_t>(rows));
  dout.poison();
  kernels::cuda::sum_rows_f32(dx.get(), dout.get(), rows, cols, nullptr);
  const std::vector<float> got = dout.download();

  const engine::Tensor tx = engine::from_vector(x, {rows, cols});
  const engine::Tensor want = engine::empty({rows, 1});
  kernels::cpu::reduce(engine::ReduceOp::sum, tx, {1}, want, 0);
  const std::vector<float> w = want.to_vector<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    double magnitude = 0;  // f32 summation error is bounded by ~ depth * eps * sum |x|
    for (std::int64_t c = 0; c < cols; ++c) magnitude += std::abs(x[r * cols + c]);
    const double tolerance = 1e-6 + 2e-6 * magnitude;
    ASSERT_NEAR(got[r], w[r], tolerance) << rows << "x" << cols << " row " << r;
  }
}

TEST(CudaReduceKernel, RowSumsMatchCpu) {
  std::uint32_t seed = 10;
  for (std::int64_t cols : {1, 2, 31, 32, 33, 100, 255, 256, 257, 1000, 4099}) check(3, cols, seed++);
}

TEST(CudaReduceKernel, ManyRows) {
  check(1500, 7, 30);   // 1500 blocks of one warp
  check(257, 300, 31);  // 257 blocks of 256 threads
}

TEST(CudaReduceKernel, OneLongRow) { check(1, 100000, 32); }

}  // namespace
