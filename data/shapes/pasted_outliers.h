// "Pasted-shapes outliers": a stand-in for Dream-Box's diffusion outliers on the `shapes` data
// set. Novel shape kinds (neither ID nor the OOD evaluation kinds) are pasted over ID boxes.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace data::shapes {

struct PastedOutliersConfig {
  std::uint64_t seed = 0;
  int images = 120;            // outlier images written (source images drawn with replacement)
  double min_box_area = 1200;  // objects at least this large (px^2) are replaced, largest first
};

// Where the set goes: <shapes root>/pasted_outliers/{images/*.png, annotations.json}.
struct PastedOutliersLayout {
  std::string image_dir, json;
};
PastedOutliersLayout pasted_outliers_layout(const std::string& shapes_root);

// For each output image: a random ID training image with at least one object of min_box_area,
// every such object's box repainted as background (interpolated from the pixels around the box)
// with one shape of the `pasted` kinds (heart, ring, ell) in it; those objects get "ood": 1 with
// their original category and the pasted shape's box, the others stay "ood": 0 (or are dropped
// when patches hide most of them). Writes PNGs + COCO JSON (ID categories); deterministic
// for the seed. Returns the data set as written (image_root = the image folder).
Dataset generate_pasted_outliers(const Dataset& id_train,
                                 const std::string& shapes_root,
                                 const PastedOutliersConfig& config);

}  // namespace data::shapes
