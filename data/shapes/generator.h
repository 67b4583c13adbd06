// The synthetic `shapes` data set: writes a VOCdevkit-layout tree (JPEGImages, Annotations,
// ImageSets/Main) with COCO JSON beside it, plus near- and far-OOD image sets; seed-deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/shapes/render.h"

namespace data::shapes {

// Defaults: 400 + 100 ID images and 100 + 100 OOD images of 160..256 px, sized so the whole
// Dream-Box pipeline runs in minutes on 2 CPU cores.
struct ShapesConfig {
  std::uint64_t seed = 0;
  int trainval_images = 400;
  int test_images = 100;
  int near_ood_images = 100;
  int far_ood_images = 100;
  RenderOptions render;     // image size and objects per image (ID sets)
  int ood_max_objects = 3;  // objects per OOD image (1..this)
  int jpeg_quality = 92;
  int threads = 2;
};

// Where everything went (all paths absolute or relative to the output folder given).
//   <out>/VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main/{trainval,test}.txt}
//   <out>/coco/{trainval,test}.json          ID sets, literature layout, file_name "<id>.jpg"
//   <out>/ood_near/{JPEGImages/,annotations.json}, <out>/ood_far/...   every object "ood": 1
struct ShapesLayout {
  std::string root;
  std::string devkit;     // read with read_voc(devkit, "07 trainval", id_classes())
  std::string image_dir;  // <devkit>/VOC2007/JPEGImages (image_root of the COCO files)
  std::string trainval_json;
  std::string test_json;
  std::string near_dir, near_json;
  std::string far_dir, far_json;
};
ShapesLayout shapes_layout(const std::string& out_dir);

// The ID class names (VOC-reader class list) and the category lists of the three families
// (ids 1..5 ID, 6..8 near-OOD, 9..11 far-OOD: disjoint, so OOD JSON never aliases an ID class).
std::vector<std::string> id_classes();
std::vector<Category> shape_categories(Family family);

struct ShapesSummary {
  ShapesLayout layout;
  int images = 0;
  int objects = 0;
  int difficult = 0;
  int truncated = 0;
};

// Generates the whole data set into out_dir (created; existing files are overwritten).
ShapesSummary generate_shapes(const std::string& out_dir, const ShapesConfig& config);

}  // namespace data::shapes
