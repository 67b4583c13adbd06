// Transform tests: keep-ratio sizes, the fused resize/flip/normalize against a direct reference,
// padding, box mapping forward and back, and multi-scale presets.
#include <gtest/gtest.h>

#include <cmath>

#include "data/rng.h"
#include "data/transforms.h"

namespace data {
namespace {

Image random_image(int w, int h, std::uint64_t seed) {
  Image im(w, h);
  Rng rng(seed);
  for (auto& p : im.pixels) p = static_cast<std::uint8_t>(rng.uniform_int(0, 255));
  return im;
}

// Direct per-pixel bilinear sample with half-pixel centres, in double (independent oracle).
double reference_sample(const Image& im, int out_w, int out_h, int x, int y, int c) {
  auto src = [](int d, int in, int out, int& i0, int& i1) {
    double s = std::max((d + 0.5) * in / out - 0.5, 0.0);
    i0 = std::min(static_cast<int>(std::floor(s)), in - 1);
    i1 = std::min(i0 + 1, in - 1);
    return s - i0;
  };
  int x0, x1, y0, y1;
  double wx = src(x, im.width, out_w, x0, x1), wy = src(y, im.height, out_h, y0, y1);
  auto p = [&](int xx, int yy) { return static_cast<double>(im.at(xx, yy)[c]); };
  return (1 - wy) * ((1 - wx) * p(x0, y0) + wx * p(x1, y0)) +
         wy * ((1 - wx) * p(x0, y1) + wx * p(x1, y1));
}

TEST(Transforms, KeepRatioSizeFollowsMmdetRule) {
  // VOC 500x375 at test scale 800/1333: short side 375 -> 800, long 500 -> 1067 (int(1066.67+0.5)).
  auto s = keep_ratio_size(500, 375, 800, 1333);
  EXPECT_EQ(s.width, 1067);
  EXPECT_EQ(s.height, 800);
  // A panorama is limited by the long side: 2000x500 -> scale min(1.6, 0.6665) -> 1333x333.
  s = keep_ratio_size(2000, 500, 800, 1333);
  EXPECT_EQ(s.width, 1333);
  EXPECT_EQ(s.height, 333);
  s = keep_ratio_size(375, 500, 480, 1333);  // portrait
  EXPECT_EQ(s.width, 480);
  EXPECT_EQ(s.height, 640);
  EXPECT_THROW(keep_ratio_size(0, 5, 800, 1333), std::invalid_argument);
}

TEST(Transforms, MultiScalePresetHasElevenScales) {
  auto c = TransformConfig::train_multiscale();
  ASSERT_EQ(c.short_sides.size(), 11u);
  EXPECT_EQ(c.short_sides.front(), 480);
  EXPECT_EQ(c.short_sides.back(), 800);
  EXPECT_EQ(c.max_size, 1333);
  EXPECT_DOUBLE_EQ(c.flip_probability, 0.5);
  auto t = TransformConfig::test();
  EXPECT_EQ(t.short_sides, std::vector<int>{800});
  EXPECT_DOUBLE_EQ(t.flip_probability, 0.0);
}

class FusedResize : public ::testing::TestWithParam<std::tuple<int, int, int, int, bool>> {};

TEST_P(FusedResize, MatchesReferenceAndPadsWithZero) {
  auto [w, h, ow, oh, flip] = GetParam();
  Image im = random_image(w, h, 7 + w * 31 + ow);
  Normalization norm;
  int pw = round_up(ow, 32), ph = round_up(oh, 32);
  std::vector<float> out(3 * static_cast<std::size_t>(pw) * ph, 12345.0f);  // poisoned
  resize_flip_normalize(im, ow, oh, flip, norm, out.data(), pw, ph);
  double max_err = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < ph; ++y)
      for (int x = 0; x < pw; ++x) {
        float got = out[(static_cast<std::size_t>(c) * ph + y) * pw + x];
        if (x >= ow || y >= oh) {
          ASSERT_EQ(got, 0.0f) << "padding at " << x << "," << y;
          continue;
        }
        int sx = flip ? ow - 1 - x : x;
        double want = (reference_sample(im, ow, oh, sx, y, c) - norm.mean[c]) / norm.std[c];
        max_err = std::max(max_err, std::abs(got - want));
      }
  EXPECT_LT(max_err, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes,
    FusedResize,
    ::testing::Values(std::make_tuple(50, 37, 107, 80, false),  // upscale
                      std::make_tuple(50, 37, 107, 80, true),
                      std::make_tuple(120, 90, 33, 25, false),  // downscale
                      std::make_tuple(64, 64, 64, 64, true),    // identity + flip
                      std::make_tuple(1, 1, 5, 3, false),       // single pixel
                      std::make_tuple(40, 30, 17, 71, true)));  // mixed

TEST(Transforms, IdentityResizeIsExactNormalization) {
  Image im = random_image(8, 6, 3);
  Normalization norm;
  std::vector<float> out(3 * 8 * 6);
  resize_flip_normalize(im, 8, 6, false, norm, out.data(), 8, 6);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 8; ++x) {
        // Same as torchvision's (x / 255 - mean) / std with mean 0.485.. and std 0.229..
        const double tv_mean[3] = {0.485, 0.456, 0.406}, tv_std[3] = {0.229, 0.224, 0.225};
        double want = (im.at(x, y)[c] / 255.0 - tv_mean[c]) / tv_std[c];
        EXPECT_NEAR(out[(c * 6 + y) * 8 + x], want, 1e-5);
      }
}

TEST(Transforms, RejectsBadSizes) {
  Image im = random_image(8, 6, 3);
  std::vector<float> out(3 * 8 * 6);
  EXPECT_THROW(resize_flip_normalize(im, 0, 6, false, {}, out.data(), 8, 6), std::invalid_argument);
  EXPECT_THROW(resize_flip_normalize(im, 16, 6, false, {}, out.data(), 8, 6),
               std::invalid_argument);
  EXPECT_THROW(resize_flip_normalize(Image{}, 8, 6, false, {}, out.data(), 8, 6),
               std::invalid_argument);
}

TEST(Transforms, HflipAndUint8ResizeAgreeWithFused) {
  Image im = random_image(30, 20, 11);
  Image f = hflip(im);
  EXPECT_EQ(f.at(0, 3)[1], im.at(29, 3)[1]);
  EXPECT_EQ(hflip(f).pixels, im.pixels);
  Image r = resize_bilinear(im, 45, 13);
  for (int y = 0; y < 13; ++y)
    for (int x = 0; x < 45; ++x)
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(r.at(x, y)[c], reference_sample(im, 45, 13, x, y, c), 0.51);
}

TEST(Transforms, BoxesMapForwardAndBack) {
  ImageMeta m;
  m.original_width = 500;
  m.original_height = 375;
  m.width = 1067;
  m.height = 800;
  m.scale_x = 1067.0 / 500;
  m.scale_y = 800.0 / 375;
  Box b{48, 240, 195, 371};
  for (bool flip : {false, true}) {
    m.flipped = flip;
    Box f = forward_box(b, m);
    EXPECT_NEAR(f.width(), b.width() * m.scale_x, 1e-9);
    if (flip) {
      EXPECT_NEAR(f.x2, 1067 - 48 * m.scale_x, 1e-9);
    } else {
      EXPECT_NEAR(f.x1, 48 * m.scale_x, 1e-9);
    }
    Box back = backward_box(f, m);
    EXPECT_NEAR(back.x1, b.x1, 1e-9);
    EXPECT_NEAR(back.y1, b.y1, 1e-9);
    EXPECT_NEAR(back.x2, b.x2, 1e-9);
    EXPECT_NEAR(back.y2, b.y2, 1e-9);
  }
  // Predictions that run over the border come back clipped to the original image.
  m.flipped = false;
  Box wide = backward_box({-10, -10, 2000, 900}, m);
  EXPECT_EQ(wide, (Box{0, 0, 500, 375}));
}

TEST(Boxes, IntersectionOverUnionByHand) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 15, 10}), 50.0 / 150.0);  // half overlap
  EXPECT_DOUBLE_EQ(iou({0, 0, 4, 4}, {1, 1, 3, 3}), 4.0 / 16.0);        // one inside the other
  EXPECT_DOUBLE_EQ(iou({0, 0, 4, 4}, {4, 0, 8, 4}), 0.0);               // touching edges
  EXPECT_DOUBLE_EQ(iou({0, 0, 4, 4}, {6, 6, 8, 8}), 0.0);
}

}  // namespace
}  // namespace data
