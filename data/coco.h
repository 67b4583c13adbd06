// COCO-format JSON (images, annotations, categories) with Dream-Box's optional "ood" flag:
// strict reader (nlohmann::json) and a writer in the layout of the literature's VOC JSON files.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "data/dataset.h"
#include "data/error.h"

namespace data {

// Parses COCO JSON. image ids may be ints or strings (kept as written); labels are indices into
// the "categories" list in file order. Boxes outside the image are clipped, zero-size ones
// dropped (counted and warned in diag); every other problem throws DataError naming `name`:
// malformed JSON, missing fields, wrong types, duplicate ids, unknown image or category ids,
// negative width/height. "annotations" may be absent (image-only sets such as OOD test sets).
Dataset parse_coco(std::string_view json_text,
                   const std::string& name,
                   const std::string& image_root,
                   Diagnostics& diag);
Dataset read_coco(const std::string& path, const std::string& image_root, Diagnostics& diag);

// Builds the JSON, key order as in VOS's convert_voc_to_coco.py: info, licenses, categories,
// images {id, width, height, file_name, license}, annotations {image_id, id, category_id,
// bbox [x, y, w, h], area, iscrowd[, ood]}. "ood" is written when the data set has ood flags
// (has_ood_field or any object with ood). Annotation ids are kept when every object has one and
// they are unique; otherwise all are renumbered 0, 1, 2, ... in order.
nlohmann::ordered_json to_coco_json(const Dataset& dataset);
void write_coco(const Dataset& dataset, const std::string& path);

// The JSON value of an image id: a number when the id was numeric, else a string.
nlohmann::ordered_json image_id_json(const ImageRecord& record);

}  // namespace data
