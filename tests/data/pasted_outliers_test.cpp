// Pasted-shapes outliers: the written set reads back with "ood" flags on the repainted objects,
// their pixels changed and nothing else, ID categories only, and the same bytes for a seed.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/coco.h"
#include "data/file_io.h"
#include "data/image.h"
#include "data/shapes/generator.h"
#include "data/shapes/pasted_outliers.h"
#include "test_util.h"

namespace data::shapes {
namespace {

namespace fs = std::filesystem;

Dataset small_id_set(const std::string& root) {
  ShapesConfig c;
  c.trainval_images = 6;
  c.test_images = c.near_ood_images = c.far_ood_images = 1;
  c.render.min_side = 96;
  c.render.max_side = 128;
  generate_shapes(root, c);
  Diagnostics diag;
  diag.echo = false;
  const auto layout = shapes_layout(root);
  return read_coco(layout.trainval_json, layout.image_dir, diag);
}

TEST(PastedOutliers, RepaintedBoxesAreFlaggedAndEverythingElseIsKept) {
  test::TempDir dir;
  const Dataset id = small_id_set(dir.path().string());
  PastedOutliersConfig config;
  config.images = 5;
  config.min_box_area = 300;
  const Dataset written = generate_pasted_outliers(id, dir.path().string(), config);
  const auto layout = pasted_outliers_layout(dir.path().string());
  Diagnostics diag;
  diag.echo = false;
  const Dataset back = read_coco(layout.json, layout.image_dir, diag);
  ASSERT_EQ(back.images.size(), 5u);
  EXPECT_EQ(back.class_names(), id.class_names());  // outliers keep the ID class they replace
  EXPECT_TRUE(back.has_ood_field);
  for (std::size_t i = 0; i < back.images.size(); ++i) {
    const ImageRecord& rec = back.images[i];
    EXPECT_EQ(rec.objects.size(), written.images[i].objects.size());
    // The source image is the one whose file name the outlier's name starts with.
    const std::string stem = rec.file_name.substr(0, rec.file_name.find("_pasted_"));
    const ImageRecord* source = nullptr;
    for (const auto& s : id.images)
      if (fs::path(s.file_name).stem().string() == stem) source = &s;
    ASSERT_NE(source, nullptr) << rec.file_name;
    const Image before = load_image(id.image_path(*source));
    const Image after = load_image(back.image_path(rec));
    ASSERT_EQ(before.width, after.width);
    int flagged = 0;
    for (const auto& o : rec.objects) {
      if (!o.ood) continue;
      ++flagged;
      EXPECT_FALSE(o.box.degenerate());
      EXPECT_GE(o.box.x1, 0);
      EXPECT_LE(o.box.x2, after.width);
      // Inside the box, the pasted shape changed many pixels.
      int changed = 0, total = 0;
      for (int y = static_cast<int>(o.box.y1); y < static_cast<int>(o.box.y2); ++y)
        for (int x = static_cast<int>(o.box.x1); x < static_cast<int>(o.box.x2); ++x, ++total)
          changed += before.at(x, y)[0] != after.at(x, y)[0];
      EXPECT_GT(changed, total / 2) << rec.file_name;
    }
    EXPECT_GE(flagged, 1) << rec.file_name;
    // Outside the source's boxes the image is untouched.
    int moved = 0;
    for (int y = 0; y < after.height; ++y)
      for (int x = 0; x < after.width; ++x) {
        bool in_source_box = false;
        for (const auto& o : source->objects)
          in_source_box |= x + 1 >= o.box.x1 && x <= o.box.x2 && y + 1 >= o.box.y1 && y <= o.box.y2;
        if (!in_source_box)
          for (int k = 0; k < 3; ++k) moved += before.at(x, y)[k] != after.at(x, y)[k];
      }
    EXPECT_EQ(moved, 0) << rec.file_name;
  }
  // Same seed, same bytes.
  const std::string json = read_text_file(layout.json);
  const auto png = read_file_bytes(back.image_path(back.images[0]));
  generate_pasted_outliers(id, dir.path().string(), config);
  EXPECT_EQ(read_text_file(layout.json), json);
  EXPECT_EQ(read_file_bytes(back.image_path(back.images[0])), png);
}

TEST(PastedOutliers, NoLargeEnoughObjectIsAnError) {
  test::TempDir dir;
  const Dataset id = small_id_set(dir.path().string());
  PastedOutliersConfig config;
  config.min_box_area = 1e9;
  EXPECT_THROW(generate_pasted_outliers(id, dir.path().string(), config), std::runtime_error);
}

}  // namespace
}  // namespace data::shapes
