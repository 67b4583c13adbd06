// kernels/cuda/softmax.cu in emulation against the CPU oracle (kernels::cpu::softmax, its backward,
// and reduce(logsumexp)): row lengths around the warp width, many rows, large logits.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/op_kinds.h"
#include "engine/tensor.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/softmax.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using simt_test::DeviceBuffer;

void check(std::int64_t rows, std::int64_t n, std::uint32_t seed) {
  const std::string shape = std::to_string(rows) + "x" + std::to_string(n);
  // Logits around 40 exercise the max subtraction (exp(40) alone is ~2e17).
  const std::vector<float> x =
      simt_test::random_floats(static_cast<std::size_t>(rows * n), seed, 35.0f, 45.0f);
  const std::vector<float> gy = simt_test::random_floats(x.size(), seed + 1);
  const engine::Tensor tx = engine::from_vector(x, {rows, n}),
                       tgy = engine::from_vector(gy, {rows, n});
  for (bool log : {false, true}) {
    const std::string what = std::string(log ? "log_softmax " : "softmax ") + shape;
    const engine::Tensor y = engine::empty({rows, n}), gx = engine::empty({rows, n});
    kernels::cpu::softmax(tx, 1, log, y);
    kernels::cpu::softmax_backward(tgy, y, 1, log, gx);
    const std::vector<float> want_y = y.to_vector<float>();
    DeviceBuffer<float> dx(x), dgy(gy), dy(x.size()), dsaved(want_y), dgx(x.size());
    dy.poison();
    dgx.poison();
    kernels::cuda::softmax_forward_f32(dx.get(), rows, n, log, dy.get(), nullptr);
    kernels::cuda::softmax_backward_f32(dgy.get(), dsaved.get(), rows, n, log, dgx.get(), nullptr);
    // f32 sums of n terms (the oracle sums in double) and expf/logf within a few ulp: log-softmax
    // values are ~ -log(n) - 5..5, probabilities < 1, gradients ~ 1.
    simt_test::expect_all_near(dy.download(), want_y, 2e-5, what);
    simt_test::expect_all_near(dgx.download(), gx.to_vector<float>(),
                               1e-5 * (1.0 + static_cast<double>(n) / 64), what + " backward");
  }
  const engine::Tensor lse = engine::empty({rows, 1});
  kernels::cpu::reduce(engine::ReduceOp::logsumexp, tx, {1}, lse);
  DeviceBuffer<float> dx(x), dlse(static_cast<std::size_t>(rows));
  dlse.poison();
  kernels::cuda::logsumexp_f32(dx.get(), rows, n, dlse.get(), nullptr);
  simt_test::expect_all_near(dlse.download(), lse.to_vector<float>(), 1e-5 * 45,
                             "logsumexp " + shape);
}

TEST(CudaSoftmaxKernel, RowLengthsAroundAWarp) {
  std::uint32_t seed = 1;
  for (std::int64_t n : {1, 2, 21, 31, 32, 33, 81, 1000}) check(5, n, seed += 2);
}

TEST(CudaSoftmaxKernel, ManyRows) {
  check(301, 7, 30);  // 38 blocks, the last one partly idle
  check(0, 5, 31);    // empty
}

}  // namespace
