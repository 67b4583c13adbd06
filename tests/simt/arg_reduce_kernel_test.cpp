// kernels/cuda/arg_reduce.cu in emulation against the CPU oracle (kernels::cpu::arg_reduce): rows
// shorter and longer than a warp, many ties (the first index wins) and NaN (it wins, first one).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/arg_reduce.h"
#include "tests/simt/device_buffer.h"

namespace {

using simt_test::DeviceBuffer;

void expect_matches_cpu(const std::vector<float>& x, std::int64_t rows, std::int64_t n) {
  for (bool is_max : {true, false}) {
    const engine::Tensor values = engine::empty({rows, 1});
    const engine::Tensor indices = engine::empty({rows, 1}, {.dtype = engine::DType::i64});
    kernels::cpu::arg_reduce(is_max, engine::from_vector(x, {rows, n}), 1, values, indices);
    DeviceBuffer<float> dx(x), dvalues(static_cast<std::size_t>(rows));
    DeviceBuffer<std::int64_t> dindices(static_cast<std::size_t>(rows));
    dvalues.poison(0x7f);  // not NaN: a NaN result must come from the kernel
    dindices.poison();
    kernels::cuda::arg_reduce_rows_f32(is_max, dx.get(), rows, n, dvalues.get(), dindices.get(),
                                       nullptr);
    const std::string what = std::string(is_max ? "max" : "min") + " of [" + std::to_string(rows) +
                             ", " + std::to_string(n) + "]";
    EXPECT_EQ(dindices.download(), indices.to_vector<std::int64_t>()) << what;
    const std::vector<float> got = dvalues.download(), want = values.to_vector<float>();
    for (std::size_t r = 0; r < got.size(); ++r)
      EXPECT_TRUE(std::isnan(want[r]) ? std::isnan(got[r]) : got[r] == want[r])
          << what << ": row " << r << " gives " << got[r] << ", CPU " << want[r];
  }
}

TEST(CudaArgReduceKernel, MatchesCpuOnRandomRows) {
  for (const auto& [rows, n] : {std::array<std::int64_t, 2>{1, 1}, {3, 31}, {9, 33}, {2, 1000}}) {
    expect_matches_cpu(simt_test::random_floats(static_cast<std::size_t>(rows * n), 4), rows, n);
  }
}

TEST(CudaArgReduceKernel, FirstIndexWinsTies) {
  std::vector<float> x = simt_test::random_floats(17 * 90, 6, -3.0f, 3.0f);
  for (float& v : x) v = std::round(v);  // seven distinct values: many ties across lanes
  expect_matches_cpu(x, 17, 90);
}

TEST(CudaArgReduceKernel, NanWins) {
  std::vector<float> x = simt_test::random_floats(5 * 70, 8);
  x[3] = NAN;                                 // row 0: one NaN
  x[70 + 40] = x[70 + 65] = x[70 + 8] = NAN;  // row 1: the first NaN (column 8) wins
  expect_matches_cpu(x, 5, 70);
}

TEST(CudaArgReduceKernel, EmptyRowsAreRefused) {
  EXPECT_THROW(kernels::cuda::arg_reduce_rows_f32(true, nullptr, 3, 0, nullptr, nullptr, nullptr),
               std::invalid_argument);
}

}  // namespace
