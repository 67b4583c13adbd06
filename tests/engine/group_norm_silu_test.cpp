// group_norm_silu: the fused pass gives bit for bit what the op composition gives, with and
// without affine and scale-shift; its fused backward against gradcheck and the ops; bad shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine/autograd.h"
#include "engine/functional.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "test_util.h"

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

// The f32 silu (on AVX-512 CPUs one vector definition, kernels/cpu/silu_f32.h) gives the same bits
// for a strided view as for contiguous data, and stays within 4 ulps of silu in f64.
TEST(GroupNormSilu, F32SiluSameBitsStridedAndNearF64) {
  Generator gen(5);
  const Tensor x = mul(randn({67, 93}, gen), 3.0);  // [67, 93]
  const Tensor y = silu(x), y_strided = silu(x.t()).t();
  EXPECT_EQ(y.to_vector<float>(), y_strided.contiguous().to_vector<float>());
  const std::vector<float> got = y.to_vector<float>(), xs = x.to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double v = xs[i], want = v / (1.0 + std::exp(-v));
    EXPECT_NEAR(got[i], want, 4 * std::numeric_limits<float>::epsilon() * std::abs(want) + 1e-37)
        << "silu(" << v << ")";
  }
}

TEST(GroupNormSilu, FusedBackwardPassesGradcheck) {
  using Inputs = std::vector<Tensor>;
  const Tensor x = test_util::leaf({2, 6, 3, 3}, 21, -2.0, 3.0), w = test_util::leaf({6}, 22);
  const Tensor b = test_util::leaf({6}, 23), ss = test_util::leaf({2, 12}, 24);
  // The UNet's case: scale and shift are the two halves of one tensor.
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return group_norm_silu(in[0], 3, in[1], in[2], 1e-5, in[3].narrow(1, 0, 6),
                               in[3].narrow(1, 6, 6));
      },
      (Inputs{x, w, b, ss}));
  EXPECT_GRADCHECK([](const Inputs& in) { return group_norm_silu(in[0], 2, in[1], in[2]); },
                   (Inputs{x, w, b}));
  EXPECT_GRADCHECK([](const Inputs& in) { return group_norm_silu(in[0], 6); }, (Inputs{x}));
  // Only the small inputs need a gradient (x does not).
  const Tensor x_const = x.detach();
  EXPECT_GRADCHECK(
      [&](const Inputs& in) {
        return group_norm_silu(x_const, 3, in[0], {}, 1e-5, in[1].narrow(1, 0, 6),
                               in[1].narrow(1, 6, 6));
      },
      (Inputs{w, ss}));
}

// The f32 fused backward (16 lanes with exp512 on AVX-512 CPUs, with a masked tail when a plane
// is not a multiple of 16) against the gradients of the op composition in f64.
TEST(GroupNormSilu, F32FusedGradientsMatchTheOpsInF64) {
  struct Case {
    Shape shape;
    std::int64_t groups;
  };
  for (const Case& c : {Case{{3, 12, 5, 7}, 4}, Case{{2, 64, 16, 16}, 32}}) {
    SCOPED_TRACE(shape_str(c.shape));
    const std::int64_t n = c.shape[0], ch = c.shape[1];
    Generator gen(31);
    const Tensor x = add(mul(randn(c.shape, gen), 2.0), 0.3), r = randn(c.shape, gen);
    const Tensor w = randn({ch}, gen), b = randn({ch}, gen), ss = randn({n, 2 * ch}, gen);
    std::vector<std::vector<double>> got, want;
    for (const bool fused : {true, false}) {
      const DType dtype = fused ? DType::f32 : DType::f64;
      std::vector<Tensor> leaves;
      for (const Tensor& t : {x, w, b, ss}) {
        leaves.push_back(t.to(dtype).detach());
        leaves.back().requires_grad_(true);
      }
      const Tensor scale = leaves[3].narrow(1, 0, ch), shift = leaves[3].narrow(1, ch, ch);
      const Tensor out = fused ? group_norm_silu(leaves[0], c.groups, leaves[1], leaves[2], 1e-5,
                                                 scale, shift)
                               : composed(leaves[0], c.groups, leaves[1], leaves[2], scale, shift);
      sum(mul(out, r.to(dtype))).backward();
      for (const Tensor& t : leaves) (fused ? got : want).push_back(test_util::values(t.grad()));
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE("input " + std::to_string(i));
      double scale = 0;
      for (double v : want[i]) scale = std::max(scale, std::abs(v));
      test_util::expect_close(got[i], want[i], 2e-6 * scale);
    }
  }
}

TEST(GroupNormSilu, BadShapesGiveClearErrors) {
  autograd::NoGradGuard no_grad;
  const Tensor x = ones({2, 6, 3, 3});
  EXPECT_THROW(group_norm_silu(x, 4), Error);  // 4 groups do not divide 6 channels
  EXPECT_THROW(group_norm_silu(x, 3, {}, {}, 1e-5, ones({2, 6})), Error);  // scale without shift
  EXPECT_THROW(group_norm_silu(x, 3, {}, {}, 1e-5, ones({6}), ones({6})), Error);
  EXPECT_THROW(group_norm_silu(x, 3, ones({5})), Error);
}
