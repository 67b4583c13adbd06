// kernels/cuda/optim.cu in emulation against the CPU oracle (kernels::cpu::sgd_update and
// adamw_update): several steps of every SGD variant and of AdamW, odd lengths.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/optim.h"
#include "kernels/cuda/optim.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using simt_test::DeviceBuffer;

// |a - b| <= 1e-6 (1 + |b|): the same f32 formulas (a GPU may fuse multiply-adds).
void expect_close(const std::vector<float>& got,
                  const std::vector<float>& want,
                  const std::string& what) {
  simt_test::expect_all_near(
      got, want, [&](std::size_t i) { return 1e-6 * (1.0 + std::abs(want[i])); }, what);
}

void check_sgd(std::int64_t n,
               double momentum,
               double dampening,
               double weight_decay,
               bool nesterov,
               std::uint32_t seed) {
  const std::string what = "sgd n " + std::to_string(n) + " momentum " + std::to_string(momentum) +
                           " dampening " + std::to_string(dampening) + " wd " +
                           std::to_string(weight_decay) + (nesterov ? " nesterov" : "");
  const std::vector<float> p0 = simt_test::random_floats(static_cast<std::size_t>(n), seed);
  const engine::Tensor param = engine::from_vector(p0), buffer = engine::zeros({n});
  DeviceBuffer<float> dparam(p0), dbuffer(static_cast<std::size_t>(n));
  dbuffer.poison();  // the first step must not read it
  for (int step = 0; step < 3; ++step) {
    const std::vector<float> g =
        simt_test::random_floats(p0.size(), seed + 10 + static_cast<std::uint32_t>(step));
    const kernels::cpu::SgdHyper h{0.1, momentum, dampening, weight_decay, nesterov, step == 0};
    kernels::cpu::sgd_update(param, engine::from_vector(g), buffer, h);
    DeviceBuffer<float> dgrad(g);
    kernels::cuda::sgd_update_f32(dparam.get(), dgrad.get(),
                                  momentum != 0 ? dbuffer.get() : nullptr, n, 0.1, momentum,
                                  dampening, weight_decay, nesterov, step == 0, nullptr);
    expect_close(dparam.download(), param.to_vector<float>(),
                 what + " step " + std::to_string(step));
  }
}

TEST(CudaOptimKernel, SgdVariants) {
  check_sgd(37, 0.0, 0.0, 0.0, false, 1);
  check_sgd(37, 0.9, 0.0, 1e-4, false, 2);
  check_sgd(300, 0.9, 0.1, 1e-2, false, 3);
  check_sgd(65, 0.9, 0.0, 5e-4, true, 4);
  check_sgd(0, 0.9, 0.0, 0.0, false, 5);
}

TEST(CudaOptimKernel, AdamW) {
  const std::int64_t n = 301;
  const std::vector<float> p0 = simt_test::random_floats(static_cast<std::size_t>(n), 20);
  const engine::Tensor param = engine::from_vector(p0), m = engine::zeros({n}),
                       v = engine::zeros({n});
  const std::vector<float> zeros(static_cast<std::size_t>(n), 0.0f);
  DeviceBuffer<float> dparam(p0), dm(zeros), dv(zeros);
  for (std::int64_t step = 1; step <= 4; ++step) {
    const std::vector<float> g =
        simt_test::random_floats(p0.size(), 30 + static_cast<std::uint32_t>(step));
    const kernels::cpu::AdamWHyper h{1e-3, 0.9, 0.999, 1e-8, 1e-2, step};
    kernels::cpu::adamw_update(param, engine::from_vector(g), m, v, h);
    DeviceBuffer<float> dgrad(g);
    kernels::cuda::adamw_update_f32(dparam.get(), dgrad.get(), dm.get(), dv.get(), n, 1e-3, 0.9,
                                    0.999, 1e-8, 1e-2, step, nullptr);
    const std::string what = "adamw step " + std::to_string(step);
    expect_close(dparam.download(), param.to_vector<float>(), what + " param");
    expect_close(dm.download(), m.to_vector<float>(), what + " exp_avg");
    expect_close(dv.download(), v.to_vector<float>(), what + " exp_avg_sq");
  }
}

}  // namespace
