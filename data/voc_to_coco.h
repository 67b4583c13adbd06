// VOC -> COCO conversion as done by the OOD literature (VOS convert_voc_to_coco.py, which gives
// voc0712_train_all.json / val_coco_format.json): COCO-style class names and category ids.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/error.h"

namespace data {

// The literature's 20 categories: ids 1..20 in COCO order (person, bird, cat, cow, dog, horse,
// sheep, airplane, bicycle, boat, bus, car, motorcycle, train, bottle, chair, dining table,
// potted plant, couch, tv) with COCO supercategories. Note this order differs from voc_classes().
const std::vector<Category>& voc_coco_categories();

// aeroplane->airplane, diningtable->dining table, motorbike->motorcycle, pottedplant->potted plant,
// sofa->couch, tvmonitor->tv; other names unchanged.
std::string coco_name_for_voc(const std::string& voc_name);

struct VocToCocoOptions {
  // Image width/height from the JPEG header (as the literature's cv2.imread does) instead of the
  // XML <size>; a disagreement is warned about. Needs the images on disk.
  bool sizes_from_images = true;
  // file_name "<id>.jpg" (literature: one folder holding all JPEGs) instead of the devkit-relative
  // "VOC2007/JPEGImages/<id>.jpg"; image_root is then cleared unless flat_image_root is set.
  bool flat_file_names = true;
  std::string flat_image_root;
};

// Relabels `voc` (from read_voc) onto `categories` by name after coco_name_for_voc renaming,
// renumbers annotation ids 0, 1, 2, ... in image order, keeps difficult objects (iscrowd 0).
// A class with no matching category throws std::invalid_argument.
Dataset voc_to_coco(const Dataset& voc,
                    const std::vector<Category>& categories,
                    const VocToCocoOptions& options,
                    Diagnostics& diag);
inline Dataset voc_to_coco(const Dataset& voc, const VocToCocoOptions& options, Diagnostics& diag) {
  return voc_to_coco(voc, voc_coco_categories(), options, diag);
}

}  // namespace data
