// Detection results writer/reader (see detections.h); image ids keep the ground truth's JSON type
// so pycocotools-style evaluation matches them.
#include "data/detections.h"

#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "data/coco.h"
#include "data/error.h"
#include "data/file_io.h"

namespace data {

nlohmann::ordered_json detections_to_json(const Dataset& dataset,
                                          const std::vector<Detection>& dets) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Detection& d : dets) {
    if (d.image >= dataset.images.size())
      throw std::invalid_argument("detection for image index " + std::to_string(d.image) +
                                  " but the data set has " + std::to_string(dataset.images.size()) +
                                  " images");
    if (d.label < 0 || d.label >= static_cast<int>(dataset.categories.size()))
      throw std::invalid_argument("detection with label " + std::to_string(d.label) +
                                  " outside the " + std::to_string(dataset.categories.size()) +
                                  " categories");
    out.push_back({{"image_id", image_id_json(dataset.images[d.image])},
                   {"bbox", {d.box.x1, d.box.y1, d.box.width(), d.box.height()}},
                   {"score", d.score},
                   {"category_id", dataset.categories[d.label].id},
                   {"ood_score", d.ood_score},
                   {"energy", d.energy}});
  }
  return out;
}

void write_detections(const std::string& path,
                      const Dataset& dataset,
                      const std::vector<Detection>& dets) {
  write_text_file(path, detections_to_json(dataset, dets).dump());
}

std::vector<Detection> read_detections(const std::string& path, const Dataset& dataset) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_array()) throw DataError(path, "detection results must be a JSON array");
  std::unordered_map<std::string, std::size_t> image_of;
  for (std::size_t i = 0; i < dataset.images.size(); ++i) image_of[dataset.images[i].key()] = i;
  std::unordered_map<std::int64_t, int> label_of;
  for (std::size_t i = 0; i < dataset.categories.size(); ++i)
    label_of[dataset.categories[i].id] = static_cast<int>(i);

  std::vector<Detection> dets;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const auto& r = root[i];
    std::string where = "[" + std::to_string(i) + "]";
    auto need = [&](const char* key) -> const nlohmann::json& {
      if (!r.is_object() || !r.contains(key))
        throw DataError(path, where + ": missing '" + key + "'");
      return r[key];
    };
    auto num = [&](const nlohmann::json& v, const char* key) {
      if (!v.is_number() || !std::isfinite(v.get<double>()))
        throw DataError(path, where + ": '" + key + "' must be a finite number");
      return v.get<double>();
    };
    const auto& id = need("image_id");
    std::string key;
    if (id.is_string())
      key = ImageRecord::id_key(id.get<std::string>(), false);
    else if (id.is_number_integer())
      key = ImageRecord::id_key(std::to_string(id.get<std::int64_t>()), true);
    else
      throw DataError(path, where + ": 'image_id' must be an integer or a string");
    auto img = image_of.find(key);
    if (img == image_of.end())
      throw DataError(path, where + ": image_id " + id.dump() + " is not in the data set");
    const auto& cat = need("category_id");
    if (!cat.is_number_integer() || !label_of.count(cat.get<std::int64_t>()))
      throw DataError(path, where + ": category_id " + cat.dump() + " is not in the data set");
    const auto& bbox = need("bbox");
    if (!bbox.is_array() || bbox.size() != 4)
      throw DataError(path, where + ": 'bbox' must be 4 numbers");
    Detection d;
    d.image = img->second;
    d.label = label_of[cat.get<std::int64_t>()];
    double x = num(bbox[0], "bbox"), y = num(bbox[1], "bbox"), w = num(bbox[2], "bbox"),
           h = num(bbox[3], "bbox");
    d.box = {x, y, x + w, y + h};
    d.score = num(need("score"), "score");
    d.ood_score = num(need("ood_score"), "ood_score");
    if (r.contains("energy")) d.energy = num(r["energy"], "energy");
    dets.push_back(d);
  }
  return dets;
}

}  // namespace data
