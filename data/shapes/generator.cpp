// Writer of the synthetic `shapes` data set (see generator.h). Image k of a set is rendered from
// Rng(mix_seed(seed, set, k)), so output is identical for any thread count.
#include "data/shapes/generator.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "data/coco.h"
#include "data/file_io.h"
#include "data/rng.h"
#include "data/voc.h"

namespace data::shapes {

namespace {

namespace fs = std::filesystem;

struct SetSpec {
  const char* name;  // "trainval", "test", "near", "far"
  Family family;
  int count;
  std::string id_prefix;
  int first_number;  // ID images are numbered across trainval and test, as in VOC
};

std::string numbered(const std::string& prefix, int n) {
  std::string digits = std::to_string(n);
  return prefix + std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
}

std::int64_t first_category_id(Family f) {
  return f == Family::id ? 1 : f == Family::near_ood ? 6 : f == Family::far_ood ? 9 : 12;
}

}  // namespace

std::vector<Category> shape_categories(Family f) {
  std::vector<Category> cats;
  std::int64_t id = first_category_id(f);
  for (const auto& name : class_names(f)) cats.push_back({id++, name, "shape"});
  return cats;
}

namespace {

// Runs fn(i) for i in [0, n) on `threads` threads; the first exception is rethrown.
template <typename Fn>
void parallel_for(int n, int threads, Fn fn) {
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    for (int i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

ShapesLayout shapes_layout(const std::string& out_dir) {
  ShapesLayout l;
  fs::path root(out_dir);
  l.root = root.string();
  l.devkit = (root / "VOCdevkit").string();
  l.image_dir = (root / "VOCdevkit" / "VOC2007" / "JPEGImages").string();
  l.trainval_json = (root / "coco" / "trainval.json").string();
  l.test_json = (root / "coco" / "test.json").string();
  l.near_dir = (root / "ood_near" / "JPEGImages").string();
  l.near_json = (root / "ood_near" / "annotations.json").string();
  l.far_dir = (root / "ood_far" / "JPEGImages").string();
  l.far_json = (root / "ood_far" / "annotations.json").string();
  return l;
}

std::vector<std::string> id_classes() {
  return class_names(Family::id);
}

ShapesSummary generate_shapes(const std::string& out_dir, const ShapesConfig& config) {
  if (config.trainval_images < 0 || config.test_images < 0 || config.near_ood_images < 0 ||
      config.far_ood_images < 0)
    throw std::invalid_argument("ShapesConfig: image counts must be >= 0");
  if (config.render.min_side < 32 || config.render.max_side < config.render.min_side)
    throw std::invalid_argument("ShapesConfig: need 32 <= render.min_side <= render.max_side");
  if (config.render.min_objects < 1 || config.render.max_objects < config.render.min_objects ||
      config.ood_max_objects < 1)
    throw std::invalid_argument(
        "ShapesConfig: need 1 <= min_objects <= max_objects and ood_max_objects >= 1");

  ShapesSummary summary;
  summary.layout = shapes_layout(out_dir);
  const ShapesLayout& L = summary.layout;
  fs::path voc = fs::path(L.devkit) / "VOC2007";
  for (const auto& d :
       {voc / "JPEGImages", voc / "Annotations", voc / "ImageSets" / "Main", fs::path(L.near_dir),
        fs::path(L.far_dir), fs::path(L.trainval_json).parent_path()})
    fs::create_directories(d);

  const std::vector<SetSpec> sets = {
      {"trainval", Family::id, config.trainval_images, "", 1},
      {"test", Family::id, config.test_images, "", 1 + config.trainval_images},
      {"near", Family::near_ood, config.near_ood_images, "near_", 1},
      {"far", Family::far_ood, config.far_ood_images, "far_", 1}};
  const std::vector<std::string> id_names = id_classes();

  for (std::size_t s = 0; s < sets.size(); ++s) {
    const SetSpec& set = sets[s];
    bool is_id = set.family == Family::id;
    RenderOptions options = config.render;
    if (!is_id) {
      options.min_objects = 1;
      options.max_objects = config.ood_max_objects;
    }
    Dataset ds;
    ds.categories = shape_categories(set.family);
    ds.image_root = is_id ? L.image_dir : (set.family == Family::near_ood ? L.near_dir : L.far_dir);
    ds.has_ood_field = !is_id;
    ds.images.resize(static_cast<std::size_t>(set.count));

    parallel_for(set.count, config.threads, [&](int k) {
      RenderedImage r = render_image(
          set.family, mix_seed(config.seed, s + 1, static_cast<std::uint64_t>(k)), options);
      ImageRecord& rec = ds.images[static_cast<std::size_t>(k)];
      rec.id = numbered(set.id_prefix, set.first_number + k);
      rec.file_name = rec.id + ".jpg";
      rec.width = r.image.width;
      rec.height = r.image.height;
      for (const RenderedObject& ro : r.objects) {
        Object o;
        o.box = ro.box;
        o.label = ro.label;
        o.difficult = ro.difficult;
        o.truncated = ro.truncated;
        o.ood = !is_id;
        rec.objects.push_back(o);
      }
      save_image(r.image, (fs::path(ds.image_root) / rec.file_name).string(), config.jpeg_quality);
      if (is_id) {
        VocAnnotation a{rec.file_name, rec.width, rec.height, rec.objects};
        write_text_file((voc / "Annotations" / (rec.id + ".xml")).string(),
                        write_voc_xml(a, id_names, "VOC2007"));
      }
    });

    std::int64_t ann_id = 0;
    for (ImageRecord& rec : ds.images)
      for (Object& o : rec.objects) {
        o.id = ann_id++;
        summary.objects += 1;
        summary.difficult += o.difficult;
        summary.truncated += o.truncated;
      }
    summary.images += set.count;
    if (is_id) {
      std::string list;
      for (const auto& rec : ds.images) list += rec.id + "\n";
      write_text_file((voc / "ImageSets" / "Main" / (std::string(set.name) + ".txt")).string(),
                      list);
      write_coco(ds, set.name == std::string("trainval") ? L.trainval_json : L.test_json);
    } else {
      write_coco(ds, set.family == Family::near_ood ? L.near_json : L.far_json);
    }
  }
  return summary;
}

}  // namespace data::shapes
