// group_norm_silu: the fused inference pass gives bit for bit what the op composition gives (the
// composition is what runs with autograd), with and without affine and scale-shift; bad shapes.
#include <gtest/gtest.h>

#include "engine/autograd.h"
#include "engine/functional.h"
#include "engine/ops.h"
#include "engine/random.h"

using namespace engine;

namespace {

// silu(group_norm(x) * (1 + scale) + shift) through the separate ops.
Tensor composed(const Tensor& x,
                std::int64_t groups,
                const Tensor& w,
                const Tensor& b,
                const Tensor& scale,
                const Tensor& shift) {
  Tensor y = group_norm(x, groups, w, b, 1e-5);
  if (scale.defined()) {
    const Shape per_sample = {x.size(0), x.size(1), 1, 1};
    y = add(mul(y, add(scale, 1.0).reshape(per_sample)), shift.reshape(per_sample));
  }
  return silu(y);
}

}  // namespace

TEST(GroupNormSilu, FusedPassEqualsTheOpsBitForBit) {
  for (const DType dtype : {DType::f32, DType::f64}) {
    Generator gen(11);
    const TensorOptions o{.dtype = dtype};
    const Tensor x = add(mul(randn({3, 12, 5, 7}, gen, o), 3.0), 0.5);  // [N, C, H, W]
    const Tensor w = randn({12}, gen, o), b = randn({12}, gen, o);
    const Tensor ss = randn({3, 24}, gen, o);  // [N, 2C]: a view per half, as the UNet slices
    const Tensor scale = ss.narrow(1, 0, 12), shift = ss.narrow(1, 12, 12);
    for (const bool affine : {false, true})
      for (const bool scaled : {false, true}) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + (affine ? " affine" : "") +
                     (scaled ? " scale-shift" : ""));
        const Tensor wi = affine ? w : Tensor(), bi = affine ? b : Tensor();
        const Tensor si = scaled ? scale : Tensor(), hi = scaled ? shift : Tensor();
        const Tensor want = composed(x, 4, wi, bi, si, hi);
        autograd::NoGradGuard no_grad;
        const Tensor got = group_norm_silu(x, 4, wi, bi, 1e-5, si, hi);
        ASSERT_EQ(got.shape(), want.shape());
        EXPECT_EQ(got.to(DType::f64).to_vector<double>(), want.to(DType::f64).to_vector<double>());
      }
  }
}

TEST(GroupNormSilu, WithAutogradItIsTheDifferentiableOps) {
  Generator gen(12);
  Tensor x = randn({2, 6, 3, 3}, gen);
  x.requires_grad_();
  const Tensor ss = randn({2, 12}, gen);
  const Tensor out = group_norm_silu(x, 3, {}, {}, 1e-5, ss.narrow(1, 0, 6), ss.narrow(1, 6, 6));
  ASSERT_TRUE(out.requires_grad());
  sum(out).backward();
  EXPECT_TRUE(x.grad().defined());
}

TEST(GroupNormSilu, BadShapesGiveClearErrors) {
  autograd::NoGradGuard no_grad;
  const Tensor x = ones({2, 6, 3, 3});
  EXPECT_THROW(group_norm_silu(x, 4), Error);  // 4 groups do not divide 6 channels
  EXPECT_THROW(group_norm_silu(x, 3, {}, {}, 1e-5, ones({2, 6})), Error);  // scale without shift
  EXPECT_THROW(group_norm_silu(x, 3, {}, {}, 1e-5, ones({6}), ones({6})), Error);
  EXPECT_THROW(group_norm_silu(x, 3, ones({5})), Error);
}
