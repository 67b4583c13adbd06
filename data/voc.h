// PASCAL VOC: the 20 classes, one annotation XML (parse and write), and a VOCdevkit split reader
// ("07 test", "07+12 trainval"). Boxes follow the convention in box.h (raw VOC numbers).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "data/error.h"

namespace data {

// The 20 VOC classes in the standard (alphabetical, devkit) order: aeroplane ... tvmonitor.
const std::vector<std::string>& voc_classes();

// Categories for a VOC-read data set: ids 1..K in class order, names as given.
std::vector<Category> categories_from_names(const std::vector<std::string>& names);

// One parsed Annotations/<id>.xml. Objects outside the image are clipped, degenerate ones dropped
// (both counted and warned in `diag`); everything else wrong throws DataError naming `name`.
struct VocAnnotation {
  std::string filename;  // <filename>
  int width = 0;         // <size><width>
  int height = 0;
  std::vector<Object> objects;  // labels index into `classes`
};
VocAnnotation parse_voc_xml(std::string_view xml,
                            const std::string& name,
                            const std::vector<std::string>& classes,
                            Diagnostics& diag);
VocAnnotation read_voc_xml(const std::string& path,
                           const std::vector<std::string>& classes,
                           Diagnostics& diag);

// Writes an annotation in VOC's layout (folder, filename, size, object/name/pose/truncated/
// difficult/bndbox). Coordinates are written as given (see box.h), integers without ".0".
std::string write_voc_xml(const VocAnnotation& annotation,
                          const std::vector<std::string>& classes,
                          const std::string& folder);

// A split such as "07 test", "12 trainval", "07+12 trainval" (also "2007+2012 trainval").
struct VocSplit {
  std::vector<std::string> years;  // "2007", "2012"
  std::string image_set;           // trainval, train, val, test, ...
};
VocSplit parse_voc_split(const std::string& spec);

// Reads <devkit>/VOC<year>/ImageSets/Main/<set>.txt and each listed Annotations/<id>.xml.
// Image file names are "VOC<year>/JPEGImages/<id>.jpg" relative to image_root = devkit.
// Ids are "<id>" (strings, as in the literature's JSON); a duplicate id across years is an error.
Dataset read_voc(const std::string& devkit,
                 const std::string& split,
                 const std::vector<std::string>& classes,
                 Diagnostics& diag);
inline Dataset read_voc(const std::string& devkit, const std::string& split, Diagnostics& diag) {
  return read_voc(devkit, split, voc_classes(), diag);
}

}  // namespace data
