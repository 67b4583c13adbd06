// arange on cuda runs on the device (no host copy, so a CUDA graph can hold it) and gives the
// CPU's values exactly: start + i * step rounded in f64, then converted, for every dtype it takes.
#include <gtest/gtest.h>

#include "engine/ops.h"
#include "tests/cuda/cuda_test_util.h"

using namespace engine;

TEST(CudaArange, MatchesTheCpuExactly) {
  SKIP_WITHOUT_CUDA_BACKEND();
  struct Case {
    double start, end, step;
  };
  for (const Case c : {Case{0, 10, 1}, Case{-1.5, 7.3, 0.1}, Case{5, -3, -0.7}, Case{0, 100000, 3}})
    for (const DType dtype : {DType::f32, DType::f64, DType::i32, DType::i64}) {
      const Tensor want = arange(c.start, c.end, c.step, {.dtype = dtype});
      cuda_test::expect_matches(
          arange(c.start, c.end, c.step, {.dtype = dtype, .device = Device::cuda()}), want, 0.0,
          0.0,
          "arange(" + std::to_string(c.start) + ", " + std::to_string(c.end) + ", " +
              std::to_string(c.step) + ") " + dtype_name(dtype));
    }
  EXPECT_THROW(arange(0.0, 4.0, 1.0, {.dtype = DType::b8, .device = Device::cuda()}),
               std::exception);
}
