// The images `train_dreambox detect` runs on: one image file, a folder searched recursively for
// JPEG/PNG files, or a text file listing images, turned into a data::Dataset without annotations.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace train {

struct ImageInputs {
  // One record per image whose header could be read: numeric ids 1, 2, ... in input order,
  // width/height from the header, file_name relative to image_root (the folder for a folder
  // input, empty otherwise). Categories are the detector's classes, ids 1..K.
  data::Dataset dataset;
  std::vector<std::string> skipped;  // "<file>: <problem>" for every image that cannot be read
};

// `path` is a .jpg/.jpeg/.png file, a folder (every such file below it, sorted by path) or a text
// file with one image path per line (relative paths are relative to the list's folder; blank
// lines and lines starting with # are ignored). A missing path, an empty folder or an empty list
// is a std::runtime_error that says so; an unreadable image is only listed in `skipped`.
ImageInputs collect_images(const std::string& path, const std::vector<std::string>& classes);

// Whether the file name ends in .jpg, .jpeg or .png (any case).
bool is_image_file_name(const std::string& path);

}  // namespace train
