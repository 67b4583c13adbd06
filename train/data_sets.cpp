// Loading a preset's data sets: the shapes generator's cached output or PASCAL VOC plus the OOD
// sets of the literature, each read through the data layer's validated readers.
#include "train/data_sets.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <tuple>

#include "data/coco.h"
#include "data/error.h"
#include "data/shapes/generator.h"
#include "data/voc.h"

namespace train {

namespace fs = std::filesystem;

namespace {

DataSets shapes_data(const Options& o) {
  const auto layout = data::shapes::shapes_layout(o.data_root);
  if (!fs::exists(layout.trainval_json)) {
    std::printf("generating the shapes data set in %s (once; later runs reuse it)\n",
                o.data_root.c_str());
    data::shapes::ShapesConfig config;
    config.seed = 0;
    data::shapes::generate_shapes(o.data_root, config);
  }
  data::Diagnostics diag;
  DataSets d;
  d.train = data::read_coco(layout.trainval_json, layout.image_dir, diag);
  d.test = data::read_coco(layout.test_json, layout.image_dir, diag);
  d.ood.emplace_back("near", data::read_coco(layout.near_json, layout.near_dir, diag));
  d.ood.emplace_back("far", data::read_coco(layout.far_json, layout.far_dir, diag));
  return d;
}

DataSets voc_data(const Options& o) {
  const std::string devkit = o.data_root + "/VOCdevkit";
  if (!fs::exists(devkit + "/VOC2007"))
    throw std::runtime_error(
        "PASCAL VOC not found: looked for " + devkit +
        "/VOC2007 (and VOC2012). Download VOCtrainval_06-Nov-2007, VOCtest_06-Nov-2007 and "
        "VOCtrainval_11-May-2012 from the PASCAL VOC site and extract them under " +
        o.data_root +
        ", or pass --data-root. To try the pipeline without VOC: train_dreambox shapes");
  data::Diagnostics diag;
  DataSets d;
  d.train = data::read_voc(
      devkit, fs::exists(devkit + "/VOC2012") ? "07+12 trainval" : "07 trainval", diag);
  d.test = data::read_voc(devkit, "07 test", diag);
  for (const auto& [name, json, images] :
       {std::tuple<std::string, std::string, std::string>{
            "coco", o.data_root + "/coco/instances_val2017_ood_rm_overlap.json",
            o.data_root + "/coco/val2017"},
        {"openimages",
         o.data_root + "/OpenImages/ood_classes_rm_overlap/COCO-Format/val_coco_format.json",
         o.data_root + "/OpenImages/ood_classes_rm_overlap/images"}}) {
    if (fs::exists(json))
      d.ood.emplace_back(name, data::read_coco(json, images, diag));
    else
      std::printf("note: OOD set '%s' not found at %s; it is skipped\n", name.c_str(),
                  json.c_str());
  }
  return d;
}

}  // namespace

DataSets load_data_sets(const Options& options) {
  return options.preset == "shapes" ? shapes_data(options) : voc_data(options);
}

}  // namespace train
