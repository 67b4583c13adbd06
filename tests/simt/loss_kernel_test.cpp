// kernels/cuda/loss.cu in emulation against the CPU oracle (kernels::cpu::bce_with_logits and its
// backward): logits over a wide range (saturated sigmoids), with and without weights.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/loss.h"
#include "kernels/cuda/loss.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using engine::Tensor;
using simt_test::DeviceBuffer;

// Relative tolerance against the CPU value (f32 transcendental functions differ in the last bits).
void expect_close(const std::vector<float>& got, const Tensor& want, const std::string& what) {
  const std::vector<float> w = want.to_vector<float>();
  simt_test::expect_all_near(
      got, w, [&w](std::size_t i) { return 1e-6 + 2e-6 * std::abs(w[i]); }, what);
}

void check_bce(std::int64_t n, bool weighted, std::uint32_t seed) {
  const std::string what =
      "bce_with_logits of " + std::to_string(n) + (weighted ? " weighted elements" : " elements");
  const std::vector<float> x = simt_test::random_floats(static_cast<std::size_t>(n), seed, -20, 20);
  const std::vector<float> t =
      simt_test::random_floats(static_cast<std::size_t>(n), seed + 1, 0, 1);
  const std::vector<float> g = simt_test::random_floats(static_cast<std::size_t>(n), seed + 2);
  const std::vector<float> w =
      simt_test::random_floats(static_cast<std::size_t>(n), seed + 3, 0, 2);
  const std::vector<float> pw =
      simt_test::random_floats(static_cast<std::size_t>(n), seed + 4, 0.5f, 3);
  const Tensor tx = engine::from_vector(x), tt = engine::from_vector(t),
               tw = weighted ? engine::from_vector(w) : Tensor(),
               tpw = weighted ? engine::from_vector(pw) : Tensor();
  const Tensor loss = engine::empty({n}), gx = engine::empty({n}), gt = engine::empty({n});
  kernels::cpu::bce_with_logits(tx, tt, tw, tpw, loss);
  kernels::cpu::bce_with_logits_backward(engine::from_vector(g), tx, tt, tw, tpw, gx, gt);

  DeviceBuffer<float> dx(x), dt(t), dg(g), dw(w), dpw(pw), dloss(x.size()), dgx(x.size()),
      dgt(x.size());
  for (auto* b : {&dloss, &dgx, &dgt}) b->poison();
  const float* wp = weighted ? dw.get() : nullptr;
  const float* pwp = weighted ? dpw.get() : nullptr;
  kernels::cuda::bce_with_logits_f32(dx.get(), dt.get(), wp, pwp, n, dloss.get(), nullptr);
  kernels::cuda::bce_with_logits_backward_f32(dg.get(), dx.get(), dt.get(), wp, pwp, n, dgx.get(),
                                              dgt.get(), nullptr);
  expect_close(dloss.download(), loss, what);
  expect_close(dgx.download(), gx, what + " grad x");
  expect_close(dgt.download(), gt, what + " grad target");
}

TEST(CudaLossKernel, BceWithLogitsMatchesTheCpu) {
  check_bce(37, false, 1);
  check_bce(37, true, 2);
  check_bce(5000, true, 3);  // several blocks
  check_bce(0, true, 4);
}

TEST(CudaLossKernel, BceBackwardComputesOnlyTheWantedGradient) {
  const std::vector<float> x = {-3.0f, 0.0f, 2.5f}, t = {0.0f, 0.5f, 1.0f}, g = {1, 1, 1};
  const Tensor gx = engine::empty({3});
  kernels::cpu::bce_with_logits_backward(engine::from_vector(g), engine::from_vector(x),
                                         engine::from_vector(t), {}, {}, gx, {});
  DeviceBuffer<float> dx(x), dt(t), dg(g), dgx(3);
  dgx.poison();
  kernels::cuda::bce_with_logits_backward_f32(dg.get(), dx.get(), dt.get(), nullptr, nullptr, 3,
                                              dgx.get(), nullptr, nullptr);
  expect_close(dgx.download(), gx, "grad x alone");
}

}  // namespace
