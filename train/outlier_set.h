// The outlier data set that the Dream-Box detector trains with: a COCO JSON whose outlier objects
// carry "ood": 1 (keeping an ID class) plus its image folder, validated against the ID classes.
#pragma once

#include <string>

#include "data/dataset.h"

namespace train {

struct OutlierSource {
  std::string json;       // COCO JSON with "ood" flags
  std::string image_dir;  // folder of its file_names (default: the JSON's folder)
};

// "JSON[:IMAGE_DIR]" as given to --outliers (split at the last ':' that follows ".json").
OutlierSource parse_outlier_source(const std::string& value);

// Reads and checks the set; errors (std::runtime_error) name the file and the problem: file
// missing, a category that is not an ID class, no object flagged "ood": 1, a missing image.
// Labels are remapped onto id_train's categories (by name).
data::Dataset load_outlier_set(const OutlierSource& source, const data::Dataset& id_train);

// ID training images followed by the outlier images, all with full paths (empty image_root).
data::Dataset with_outliers(const data::Dataset& id_train, const data::Dataset& outliers);

}  // namespace train
