// The in-memory form of a detection data set, shared by the VOC and COCO readers and writers.
// Labels are 0-based indices into Dataset::categories; COCO category ids are kept beside them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/box.h"

namespace data {

struct Category {
  std::int64_t id = 0;  // COCO category_id (VOC readers use 1..K in class order)
  std::string name;
  std::string supercategory;
};

// One ground-truth object. `ood` marks an outlier object (Dream-Box "ood": 1).
struct Object {
  Box box;         // see box.h for the convention
  int label = -1;  // index into Dataset::categories
  bool difficult = false;
  bool truncated = false;
  bool iscrowd = false;
  bool ood = false;
  std::int64_t id = -1;  // COCO annotation id; -1 when the source has none
  double area = -1;      // COCO area as read (may be a mask area); -1 means box area
};

// COCO image ids may be ints or strings; we keep the text and remember which it was so that
// writers (COCO JSON, detection results) give back the same JSON type.
struct ImageRecord {
  std::string id;
  bool numeric_id = false;
  std::string file_name;  // relative to Dataset::image_root
  int width = 0;
  int height = 0;
  std::vector<Object> objects;

  // Lookup key that keeps int 5 and string "5" apart: "#5" vs "$5".
  static std::string id_key(const std::string& id, bool numeric);
  std::string key() const { return id_key(id, numeric_id); }
};

struct Dataset {
  std::vector<Category> categories;
  std::string image_root;  // folder that ImageRecord::file_name is relative to
  std::vector<ImageRecord> images;
  bool has_ood_field = false;  // the source JSON carried "ood" flags (writers keep them)

  std::string image_path(const ImageRecord& record) const;
  std::vector<std::string> class_names() const;
  std::size_t num_objects() const;
};

}  // namespace data
