// kernels/cuda/norm.cu in emulation against the CPU: row standardisation forward/backward against
// kernels::cpu::row_norm_* (contiguous rows and batch norm's channel rows), the affine, frozen
// batch norm and running statistics against the engine's CPU ops.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/functional.h"
#include "engine/ops.h"
#include "engine/tensor.h"
#include "kernels/cpu/norm.h"
#include "kernels/cuda/norm.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using kernels::cuda::RowLayout;
using simt_test::DeviceBuffer;

// x in the layout -> its rows as a contiguous [rows, M] matrix (what the CPU oracle takes).
std::vector<float> gather_rows(const std::vector<float>& x, const RowLayout& l) {
  std::vector<float> rows;
  for (std::int64_t r = 0; r < l.rows; ++r)
    for (std::int64_t k = 0; k < l.segments; ++k)
      for (std::int64_t i = 0; i < l.segment_length; ++i)
        rows.push_back(
            x[static_cast<std::size_t>(k * l.segment_stride + r * l.segment_length + i)]);
  return rows;
}

std::string name(const RowLayout& l) {
  return "rows " + std::to_string(l.rows) + " of " + std::to_string(l.segments) + "x" +
         std::to_string(l.segment_length) + " (stride " + std::to_string(l.segment_stride) + ")";
}

void check_row_norm(const RowLayout& l, std::uint32_t seed) {
  const std::int64_t m = l.segments * l.segment_length, n = l.rows * m;
  // Offset values (mean ~ 2) make the two-pass variance matter.
  const std::vector<float> x =
      simt_test::random_floats(static_cast<std::size_t>(n), seed, 1.0f, 3.0f);
  const std::vector<float> gy = simt_test::random_floats(static_cast<std::size_t>(n), seed + 1);
  const float eps = 1e-5f;

  const engine::Tensor tx = engine::from_vector(gather_rows(x, l), {l.rows, m});
  const engine::Tensor y = engine::empty({l.rows, m}), mean = engine::empty({l.rows}),
                       rstd = engine::empty({l.rows}), gx = engine::empty({l.rows, m});
  kernels::cpu::row_norm_forward(tx, eps, y, mean, rstd);

  DeviceBuffer<float> dx(x), dy(x.size()), dmean(static_cast<std::size_t>(l.rows)),
      drstd(static_cast<std::size_t>(l.rows));
  for (auto* b : {&dy, &dmean, &drstd}) b->poison();
  kernels::cuda::row_norm_forward_f32(dx.get(), l, eps, dy.get(), dmean.get(), drstd.get(),
                                      nullptr);
  // f32 sums of m terms (a GPU may also use its own sqrt/division rounding): relative 1e-5 of the
  // unit-scale outputs for these row lengths; rstd ~ 1.7 here.
  simt_test::expect_all_near(gather_rows(dy.download(), l), y.to_vector<float>(), 2e-5,
                             "row_norm y " + name(l));
  simt_test::expect_all_near(dmean.download(), mean.to_vector<float>(), 1e-5,
                             "row_norm mean " + name(l));
  simt_test::expect_all_near(drstd.download(), rstd.to_vector<float>(), 5e-5,
                             "row_norm rstd " + name(l));

  // Backward from the same saved y and rstd on both sides.
  DeviceBuffer<float> dgy(gy), dgx(x.size());
  DeviceBuffer<float> saved_rstd(rstd.to_vector<float>()), saved_y(x.size());
  {
    // The oracle's y scattered back into the layout.
    std::vector<float> y_layout(x.size());
    const std::vector<float> yr = y.to_vector<float>();
    std::size_t next = 0;
    for (std::int64_t r = 0; r < l.rows; ++r)
      for (std::int64_t k = 0; k < l.segments; ++k)
        for (std::int64_t i = 0; i < l.segment_length; ++i)
          y_layout[static_cast<std::size_t>(k * l.segment_stride + r * l.segment_length + i)] =
              yr[next++];
    saved_y.upload(y_layout);
  }
  dgx.poison();
  kernels::cuda::row_norm_backward_f32(dgy.get(), saved_y.get(), saved_rstd.get(), l, dgx.get(),
                                       nullptr);
  kernels::cpu::row_norm_backward(engine::from_vector(gather_rows(gy, l), {l.rows, m}), y, rstd,
                                  gx);
  simt_test::expect_all_near(gather_rows(dgx.download(), l), gx.to_vector<float>(), 5e-5,
                             "row_norm backward " + name(l));
}

TEST(CudaNormKernel, ContiguousRows) {  // layer norm and group norm rows
  std::uint32_t seed = 1;
  for (std::int64_t m : {1, 2, 31, 32, 33, 257, 1000}) check_row_norm({3, 1, m, m}, seed += 2);
  check_row_norm({300, 1, 7, 7}, 40);  // many blocks
  check_row_norm({0, 1, 5, 5}, 41);    // empty
}

TEST(CudaNormKernel, BatchNormChannelRows) {  // x [N, C, S], one row per channel, no transpose
  check_row_norm({3, 2, 25, 75}, 50);         // N 2, C 3, 5x5
  check_row_norm({5, 4, 1, 5}, 51);           // N 4, C 5, 1x1 (as after global pooling)
  check_row_norm({16, 3, 49, 16 * 49}, 52);
}

TEST(CudaNormKernel, ChannelAffineAndGradients) {
  const std::int64_t n = 3, c = 5, s = 37;
  const std::vector<float> x = simt_test::random_floats(static_cast<std::size_t>(n * c * s), 60),
                           go = simt_test::random_floats(x.size(), 61),
                           scale = simt_test::random_floats(static_cast<std::size_t>(c), 62),
                           shift = simt_test::random_floats(static_cast<std::size_t>(c), 63);
  const engine::Tensor tx = engine::from_vector(x, {n, c, s}),
                       tgo = engine::from_vector(go, {n, c, s});
  const engine::Tensor tscale = engine::from_vector(scale, {1, c, 1}),
                       tshift = engine::from_vector(shift, {1, c, 1});
  const std::vector<float> want = engine::add(engine::mul(tx, tscale), tshift).to_vector<float>();
  const std::vector<float> want_scale_only = engine::mul(tx, tscale).to_vector<float>();
  const std::vector<float> want_grad_shift = engine::sum(tgo, {0, 2}).to_vector<float>();
  const std::vector<float> want_grad_scale =
      engine::sum(engine::mul(tgo, tx), {0, 2}).to_vector<float>();

  DeviceBuffer<float> dx(x), dgo(go), dscale(scale), dshift(shift), out(x.size()),
      gscale(scale.size()), gshift(shift.size());
  out.poison();
  kernels::cuda::channel_affine_f32(dx.get(), dscale.get(), dshift.get(), n, c, s, out.get(),
                                    nullptr);
  simt_test::expect_all_near(out.download(), want, 1e-6, "channel_affine");
  out.poison();
  kernels::cuda::channel_affine_f32(dx.get(), dscale.get(), nullptr, n, c, s, out.get(), nullptr);
  simt_test::expect_all_near(out.download(), want_scale_only, 1e-6, "channel_affine without shift");

  gscale.poison();
  gshift.poison();
  kernels::cuda::channel_affine_backward_f32(dgo.get(), dx.get(), n, c, s, gscale.get(),
                                             gshift.get(), nullptr);
  // Sums of n * s = 111 products of values < 1.
  simt_test::expect_all_near(gscale.download(), want_grad_scale, 2e-5, "channel_affine grad_scale");
  simt_test::expect_all_near(gshift.download(), want_grad_shift, 2e-5, "channel_affine grad_shift");
}

TEST(CudaNormKernel, FrozenBatchNormAndRunningStatistics) {
  const std::int64_t n = 2, c = 6, s = 20;
  const float eps = 1e-5f, momentum = 0.1f;
  const std::vector<float> x = simt_test::random_floats(static_cast<std::size_t>(n * c * s), 70,
                                                        -1.0f, 2.0f),
                           rm = simt_test::random_floats(static_cast<std::size_t>(c), 71),
                           rv = simt_test::random_floats(static_cast<std::size_t>(c), 72, 0.5f,
                                                         2.0f),
                           w = simt_test::random_floats(static_cast<std::size_t>(c), 73),
                           b = simt_test::random_floats(static_cast<std::size_t>(c), 74);
  const engine::Tensor tx = engine::from_vector(x, {n, c, s}), trm = engine::from_vector(rm),
                       trv = engine::from_vector(rv), tw = engine::from_vector(w),
                       tb = engine::from_vector(b);

  // Frozen batch norm: coefficients, then the affine.
  DeviceBuffer<float> dx(x), drm(rm), drv(rv), dw(w), db(b), scale(rm.size()), shift(rm.size()),
      out(x.size());
  for (auto* buffer : {&scale, &shift, &out}) buffer->poison();
  kernels::cuda::frozen_batch_norm_coefficients_f32(drm.get(), drv.get(), dw.get(), db.get(), eps,
                                                    c, scale.get(), shift.get(), nullptr);
  kernels::cuda::channel_affine_f32(dx.get(), scale.get(), shift.get(), n, c, s, out.get(),
                                    nullptr);
  simt_test::expect_all_near(
      out.download(), engine::frozen_batch_norm(tx, trm, trv, tw, tb, eps).to_vector<float>(), 1e-5,
      "frozen batch norm");

  // A training step's running statistics, from the channel rows' mean and rstd.
  DeviceBuffer<float> y(x.size()), mean(rm.size()), rstd(rm.size());
  kernels::cuda::row_norm_forward_f32(dx.get(), {c, n, s, c * s}, eps, y.get(), mean.get(),
                                      rstd.get(), nullptr);
  kernels::cuda::batch_norm_update_stats_f32(mean.get(), rstd.get(), eps, momentum, n * s, c,
                                             drm.get(), drv.get(), nullptr);
  engine::batch_norm(tx, trm, trv, tw, tb, true, momentum, eps);  // updates trm, trv in place
  simt_test::expect_all_near(drm.download(), trm.to_vector<float>(), 1e-6, "running_mean");
  simt_test::expect_all_near(drv.download(), trv.to_vector<float>(), 1e-5, "running_var");
}

}  // namespace
