// Synthetic `shapes` data set tests: the tree reads back through the VOC and COCO readers with no
// repairs, boxes are tight, OOD sets hold only novel classes, and output is seed-deterministic.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "data/coco.h"
#include "data/file_io.h"
#include "data/loader.h"
#include "data/shapes/generator.h"
#include "data/voc.h"
#include "test_util.h"

namespace data::shapes {
namespace {

namespace fs = std::filesystem;

ShapesConfig small_config(std::uint64_t seed = 3) {
  ShapesConfig c;
  c.seed = seed;
  c.trainval_images = 12;
  c.test_images = 4;
  c.near_ood_images = 4;
  c.far_ood_images = 4;
  c.render.min_side = 96;
  c.render.max_side = 128;
  return c;
}

Diagnostics quiet() {
  Diagnostics d;
  d.echo = false;
  return d;
}

// All files under a folder with their bytes, by relative path.
std::map<std::string, std::vector<std::uint8_t>> snapshot(const fs::path& root) {
  std::map<std::string, std::vector<std::uint8_t>> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file())
      files[fs::relative(e.path(), root).string()] = read_file_bytes(e.path().string());
  return files;
}

TEST(Shapes, ClassFamiliesAreDisjoint) {
  EXPECT_EQ(id_classes(),
            (std::vector<std::string>{"circle", "square", "triangle", "star", "cross"}));
  EXPECT_EQ(class_names(Family::near_ood),
            (std::vector<std::string>{"hexagon", "crescent", "arrow"}));
  EXPECT_EQ(class_names(Family::far_ood), (std::vector<std::string>{"blob", "spiral", "zigzag"}));
  EXPECT_EQ(class_names(Family::pasted), (std::vector<std::string>{"heart", "ring", "ell"}));
  std::set<std::int64_t> ids;
  for (Family f : {Family::id, Family::near_ood, Family::far_ood, Family::pasted})
    for (const auto& c : shape_categories(f)) EXPECT_TRUE(ids.insert(c.id).second) << c.name;
  EXPECT_EQ(ids.size(), 14u);
}

TEST(Shapes, RenderedBoxesBoundVisiblePixels) {
  RenderOptions opt;
  std::set<int> labels;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    RenderedImage r = render_image(Family::id, seed, opt);
    ASSERT_GE(r.image.width, opt.min_side);
    ASSERT_LE(r.image.width, opt.max_side);
    ASSERT_GE(r.objects.size(), 1u);
    ASSERT_LE(r.objects.size(), 4u);
    for (std::size_t o = 0; o < r.objects.size(); ++o) {
      int x0 = r.image.width, y0 = r.image.height, x1 = -1, y1 = -1, count = 0;
      for (int y = 0; y < r.image.height; ++y)
        for (int x = 0; x < r.image.width; ++x)
          if (r.owner[static_cast<std::size_t>(y) * r.image.width + x] == static_cast<int>(o)) {
            x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y),
            ++count;
          }
      const RenderedObject& obj = r.objects[o];
      EXPECT_EQ(obj.box, (Box{x0 + 1.0, y0 + 1.0, x1 + 1.0, y1 + 1.0}));  // VOC 1-based inclusive
      EXPECT_EQ(obj.visible_pixels, count);
      EXPECT_GE(count, 60);
      EXPECT_FALSE(obj.box.degenerate());
      labels.insert(obj.label);
    }
  }
  EXPECT_EQ(labels.size(), 5u);  // every ID class shows up
}

TEST(Shapes, RenderIsDeterministicPerSeed) {
  RenderOptions opt;
  auto a = render_image(Family::far_ood, 99, opt), b = render_image(Family::far_ood, 99, opt);
  EXPECT_EQ(a.image.pixels, b.image.pixels);
  auto c = render_image(Family::far_ood, 100, opt);
  EXPECT_NE(a.image.pixels, c.image.pixels);
}

TEST(Shapes, GeneratedTreeReadsBackCleanly) {
  test::TempDir dir;
  ShapesSummary s = generate_shapes(dir.path().string(), small_config());
  EXPECT_EQ(s.images, 24);
  const ShapesLayout& L = s.layout;

  auto diag = quiet();
  Dataset voc = read_voc(L.devkit, "07 trainval", id_classes(), diag);
  Dataset test = read_voc(L.devkit, "07 test", id_classes(), diag);
  EXPECT_EQ(diag.clipped_boxes, 0);
  EXPECT_EQ(diag.dropped_boxes, 0);
  ASSERT_EQ(voc.images.size(), 12u);
  ASSERT_EQ(test.images.size(), 4u);
  EXPECT_EQ(voc.images[0].id, "000001");
  EXPECT_EQ(test.images[0].id, "000013");  // numbering continues across splits, as in VOC

  Dataset coco = read_coco(L.trainval_json, L.image_dir, diag);
  EXPECT_EQ(diag.warnings.size(), 0u);
  ASSERT_EQ(coco.images.size(), voc.images.size());
  EXPECT_EQ(coco.class_names(), id_classes());
  int objects = 0;
  for (std::size_t i = 0; i < coco.images.size(); ++i) {
    const auto& a = voc.images[i];
    const auto& b = coco.images[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.width, b.width);
    ASSERT_EQ(a.objects.size(), b.objects.size());
    for (std::size_t k = 0; k < a.objects.size(); ++k) {
      EXPECT_EQ(a.objects[k].box, b.objects[k].box);
      EXPECT_EQ(a.objects[k].label, b.objects[k].label);
      EXPECT_FALSE(b.objects[k].ood);
    }
    objects += static_cast<int>(b.objects.size());
    Image im = load_image(coco.image_path(b));
    EXPECT_EQ(im.width, b.width);
    EXPECT_EQ(im.height, b.height);
  }
  EXPECT_GT(objects, 12);

  for (auto [json, dir_path, family] : {std::tuple{L.near_json, L.near_dir, Family::near_ood},
                                        std::tuple{L.far_json, L.far_dir, Family::far_ood}}) {
    Dataset ood = read_coco(json, dir_path, diag);
    ASSERT_EQ(ood.images.size(), 4u);
    EXPECT_TRUE(ood.has_ood_field);
    EXPECT_EQ(ood.class_names(), class_names(family));
    for (const auto& im : ood.images) {
      EXPECT_GE(im.objects.size(), 1u);
      for (const auto& o : im.objects) EXPECT_TRUE(o.ood);
      EXPECT_TRUE(fs::exists(ood.image_path(im)));
    }
  }
  EXPECT_EQ(diag.clipped_boxes + diag.dropped_boxes, 0);
}

TEST(Shapes, OutputIsIdenticalForSameSeedAnyThreads) {
  test::TempDir a, b, c;
  ShapesConfig cfg = small_config(5);
  generate_shapes(a.path().string(), cfg);
  cfg.threads = 1;
  generate_shapes(b.path().string(), cfg);
  auto sa = snapshot(a.path()), sb = snapshot(b.path());
  EXPECT_EQ(sa.size(), 12u + 4 + 4 + 4 + 16 + 2 + 4);  // jpgs, xmls, lists, jsons
  EXPECT_TRUE(sa == sb);
  generate_shapes(c.path().string(), small_config(6));
  auto sc = snapshot(c.path());
  EXPECT_NE(sa.at("VOCdevkit/VOC2007/JPEGImages/000001.jpg"),
            sc.at("VOCdevkit/VOC2007/JPEGImages/000001.jpg"));
}

TEST(Shapes, FeedsTheLoader) {
  test::TempDir dir;
  ShapesSummary s = generate_shapes(dir.path().string(), small_config());
  auto diag = quiet();
  Dataset ds = read_coco(s.layout.trainval_json, s.layout.image_dir, diag);
  LoaderConfig cfg;
  cfg.batch_size = 4;
  cfg.num_workers = 2;
  cfg.transform = TransformConfig::train_multiscale(96, 160, 32, 320);
  Loader loader(ds, cfg);
  loader.start_epoch(0);
  int batches = 0;
  while (auto b = loader.next()) {
    ++batches;
    EXPECT_EQ(b->height % 32, 0);
    for (std::size_t i = 0; i < b->targets.size(); ++i)
      for (const Box& box : b->targets[i].boxes) {
        EXPECT_GE(box.x1, 0);
        EXPECT_LE(box.x2, b->metas[i].width + 1e-9);
      }
  }
  EXPECT_EQ(batches, 3);
}

TEST(Shapes, RejectsBadConfig) {
  test::TempDir dir;
  ShapesConfig c = small_config();
  c.render.min_side = 8;
  EXPECT_THROW(generate_shapes(dir.path().string(), c), std::invalid_argument);
  c = small_config();
  c.test_images = -1;
  EXPECT_THROW(generate_shapes(dir.path().string(), c), std::invalid_argument);
}

}  // namespace
}  // namespace data::shapes
