// The diffusion model's training crops: window geometry on hand-made boxes (image borders
// included), box masks, bilinear render / paste-back against hand-computed pixels, and the
// seeded sample stream (determinism, random access, mask and null-class frequencies).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "data/image.h"
#include "train/object_crops.h"

namespace fs = std::filesystem;

namespace {

// R = x, G = y, B = 7 at pixel (x, y).
data::Image gradient_image(int width, int height) {
  data::Image img(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      img.at(x, y)[0] = static_cast<std::uint8_t>(x);
      img.at(x, y)[1] = static_cast<std::uint8_t>(y);
      img.at(x, y)[2] = 7;
    }
  return img;
}

float byte_value(int v) {
  return static_cast<float>(v / 127.5 - 1.0);
}

void expect_contains(const train::CropWindow& w, const data::Box& b) {
  EXPECT_LE(w.x0, b.x1);
  EXPECT_LE(w.y0, b.y1);
  EXPECT_GE(w.x0 + w.side, b.x2);
  EXPECT_GE(w.y0 + w.side, b.y2);
}

}  // namespace

TEST(CropWindow, CentredShiftedAtBordersAndLargerThanImage) {
  // Inside: centred on the box, side = context * longest side.
  const data::Box inner{40, 50, 60, 60};  // 20 x 10, centre (50, 55)
  auto w = train::crop_window(inner, 200, 100, 2.0);
  EXPECT_DOUBLE_EQ(w.side, 40);
  EXPECT_DOUBLE_EQ(w.x0, 30);
  EXPECT_DOUBLE_EQ(w.y0, 35);
  // Touching the left/top border: shifted to start at 0.
  const data::Box corner{0, 2, 10, 12};
  w = train::crop_window(corner, 200, 100, 1.5);
  EXPECT_DOUBLE_EQ(w.side, 15);
  EXPECT_DOUBLE_EQ(w.x0, 0);
  EXPECT_DOUBLE_EQ(w.y0, 0);
  expect_contains(w, corner);
  // Right/bottom border: shifted to end at the image edge.
  const data::Box far{190, 95, 200, 100};
  w = train::crop_window(far, 200, 100, 2.0);
  EXPECT_DOUBLE_EQ(w.x0, 180);
  EXPECT_DOUBLE_EQ(w.y0, 80);
  expect_contains(w, far);
  // Taller than the image allows: centred on the box vertically, shifted inside horizontally.
  const data::Box tall{5, 0, 25, 100};
  w = train::crop_window(tall, 200, 100, 1.5);
  EXPECT_DOUBLE_EQ(w.side, 150);
  EXPECT_DOUBLE_EQ(w.y0, -25);
  EXPECT_DOUBLE_EQ(w.x0, 0);
  expect_contains(w, tall);
}

TEST(CropWindow, BoxMaskInCropPixels) {
  const data::Box box{40, 50, 60, 60};
  const auto w = train::crop_window(box, 200, 100, 2.0);  // x0 30, y0 35, side 40
  // 32 px grid: 0.8 px per image pixel -> x [8, 24), y [12, 20).
  EXPECT_EQ(train::box_in_crop(box, w, 32), (train::PixelRect{8, 12, 24, 20}));
  // Fractional edges cover every pixel the box overlaps.
  const data::Box frac{41, 50.5, 59, 60};
  EXPECT_EQ(train::box_in_crop(frac, w, 32), (train::PixelRect{8, 12, 24, 20}));
  // A box far smaller than a crop pixel still masks one pixel.
  const data::Box tiny{50, 55, 50.01, 55.01};
  const train::CropWindow big{0, 0, 100};
  EXPECT_EQ(train::box_in_crop(tiny, big, 8), (train::PixelRect{4, 4, 5, 5}));
}

TEST(CropRender, IdentityHalvingFlipAndReplicatedBorder) {
  const data::Image img = gradient_image(16, 8);
  // Window = the image's top-left 8 x 8 at scale 1: the pixels themselves.
  std::vector<float> out(3 * 8 * 8);
  train::render_crop(img, {0, 0, 8}, 8, false, out.data());
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      EXPECT_FLOAT_EQ(out[y * 8 + x], byte_value(x));
      EXPECT_FLOAT_EQ(out[64 + y * 8 + x], byte_value(y));
      EXPECT_FLOAT_EQ(out[128 + y * 8 + x], byte_value(7));
    }
  // Mirrored.
  train::render_crop(img, {0, 0, 8}, 8, true, out.data());
  EXPECT_FLOAT_EQ(out[0], byte_value(7));
  EXPECT_FLOAT_EQ(out[7], byte_value(0));
  // A 16 px window onto 8 px: each sample sits between two pixels -> their mean.
  std::vector<float> half(3 * 8 * 8);
  train::render_crop(img, {0, -4, 16}, 8, false, half.data());
  EXPECT_NEAR(half[3 * 8 + 5], (byte_value(10) + byte_value(11)) / 2, 1e-6);
  // Rows above the image replicate row 0: sample row 0 is at y = -4 + 0.5 * 2 - 0.5 = -3.5.
  EXPECT_NEAR(half[64 + 0], byte_value(0), 1e-6);
  EXPECT_NEAR(half[64 + 3 * 8], (byte_value(2) + byte_value(3)) / 2, 1e-6);
}

TEST(CropRender, PasteBackTouchesOnlyTheBoxAndInvertsTheRender) {
  const data::Image img = gradient_image(24, 20);
  const data::Box box{6.2, 4, 14, 11.5};
  const auto window = train::crop_window(box, 24, 20, 2.0);  // side 15.6
  // A 1:1-ish render pasted back reproduces the pixels up to resampling error.
  std::vector<float> crop(3 * 64 * 64);
  train::render_crop(img, window, 64, false, crop.data());
  data::Image pasted = img;
  train::paste_crop(pasted, box, window, crop.data(), 64);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 24; ++x)
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(pasted.at(x, y)[c], img.at(x, y)[c], 1) << x << "," << y;
  // A constant crop changes exactly the pixels whose centres lie in the box: x 6..13, y 4..10.
  std::vector<float> white(3 * 16 * 16, 1.0f);
  data::Image painted = img;
  train::paste_crop(painted, box, window, white.data(), 16);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 24; ++x) {
      const bool inside = x >= 6 && x <= 13 && y >= 4 && y <= 10;
      EXPECT_EQ(painted.at(x, y)[2], inside ? 255 : 7) << x << "," << y;
    }
  const data::Image back = train::crop_to_image(white.data(), 16);
  EXPECT_EQ(back.width, 16);
  EXPECT_EQ(back.at(3, 5)[1], 255);
}

class CropStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Own folder per process: other checkouts run the same tests on this machine.
    root_ =
        (fs::temp_directory_path() / ("dreambox_object_crops_test_" + std::to_string(::getpid())))
            .string();
    fs::remove_all(root_);
    fs::create_directories(root_);
    data::save_image(gradient_image(40, 30), root_ + "/a.png");
    data::save_image(gradient_image(20, 20), root_ + "/b.png");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static data::Dataset dataset() {
    data::Dataset d;
    d.categories = {{1, "square", ""}, {2, "disc", ""}};
    d.image_root = root_;
    d.images.push_back({"1", true, "a.png", 40, 30, {}});
    d.images.push_back({"2", true, "b.png", 20, 20, {}});
    d.images[0].objects.push_back({.box = {4, 4, 14, 12}, .label = 0});
    d.images[0].objects.push_back({.box = {20, 5, 38, 29}, .label = 1});
    d.images[0].objects.push_back({.box = {1, 1, 5, 5}, .label = 1, .ood = true});  // skipped
    d.images[1].objects.push_back({.box = {0, 0, 20, 20}, .label = 1});
    return d;
  }
  static std::string root_;
};
std::string CropStream::root_;

TEST_F(CropStream, DeterministicRandomAccessAndShapes) {
  const data::Dataset d = dataset();
  const train::ObjectCropSet crops(d, {.size = 8}, 5);
  EXPECT_EQ(crops.num_objects(), 3u);
  EXPECT_EQ(crops.null_label(), 2);
  const auto all = crops.batch(0, 6);
  EXPECT_EQ(all.image.shape(), (engine::Shape{6, 3, 8, 8}));
  EXPECT_EQ(all.mask.shape(), (engine::Shape{6, 1, 8, 8}));
  EXPECT_EQ(all.labels.shape(), (engine::Shape{6}));
  const auto tail = train::ObjectCropSet(d, {.size = 8}, 5).batch(4, 2);  // samples 4 and 5
  const float* a = all.image.data_ptr<float>() + 4 * 3 * 64;
  const float* b = tail.image.data_ptr<float>();
  for (int i = 0; i < 2 * 3 * 64; ++i) ASSERT_EQ(a[i], b[i]);
  EXPECT_EQ(all.labels.data_ptr<std::int64_t>()[5], tail.labels.data_ptr<std::int64_t>()[1]);
  const auto other = train::ObjectCropSet(d, {.size = 8}, 6).batch(0, 6);
  bool differs = false;
  for (int i = 0; i < 6 * 3 * 64; ++i)
    differs |= other.image.data_ptr<float>()[i] != all.image.data_ptr<float>()[i];
  EXPECT_TRUE(differs);
}

TEST_F(CropStream, MaskKindsAndNullClassAtTheirRates) {
  const data::Dataset d = dataset();
  const int n = 2000, s = 8;
  const train::ObjectCropSet crops(d, {.size = s}, 1);
  const auto batch = crops.batch(0, n);
  int full = 0, null = 0;
  for (int k = 0; k < n; ++k) {
    const float* m = batch.mask.data_ptr<float>() + k * s * s;
    int covered = 0;
    for (int i = 0; i < s * s; ++i) {
      ASSERT_TRUE(m[i] == 0.0f || m[i] == 1.0f);
      covered += m[i] == 1.0f;
    }
    EXPECT_GT(covered, 0);
    full += covered == s * s;
    const std::int64_t label = batch.labels.data_ptr<std::int64_t>()[k];
    ASSERT_GE(label, 0);
    ASSERT_LE(label, 2);
    null += label == 2;
  }
  // p = 0.1 each; the box of image b fills the (border-replicated) crop only at context
  // 1.5..2 -> half..two-thirds of it, so full masks come from the full-mask draw alone.
  EXPECT_NEAR(full / double(n), 0.1, 0.025);
  EXPECT_NEAR(null / double(n), 0.1, 0.025);
}
