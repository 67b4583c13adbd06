// COCO JSON reader and writer (see coco.h). All checks name the file and the JSON location,
// e.g. "instances.json: annotations[12]: 'bbox' must be 4 numbers".
#include "data/coco.h"

#include <cmath>
#include <set>
#include <unordered_map>

#include "data/file_io.h"

namespace data {

namespace {

using json = nlohmann::json;

class Checker {
 public:
  explicit Checker(const std::string& name) : name_(name) {}
  [[noreturn]] void fail(const std::string& where, const std::string& problem) const {
    throw DataError(name_, where + ": " + problem);
  }
  const json& field(const json& obj, const char* key, const std::string& where) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing '") + key + "'");
    return *it;
  }
  const json& array(const json& root, const char* key) const {
    const json& a = field(root, key, "top level");
    if (!a.is_array()) fail(key, "must be an array");
    return a;
  }
  std::int64_t integer(const json& v, const std::string& where, const char* key) const {
    if (!v.is_number_integer()) fail(where, std::string("'") + key + "' must be an integer");
    return v.get<std::int64_t>();
  }
  double number(const json& v, const std::string& where, const char* key) const {
    if (!v.is_number()) fail(where, std::string("'") + key + "' must be a number");
    double d = v.get<double>();
    if (!std::isfinite(d)) fail(where, std::string("'") + key + "' must be finite");
    return d;
  }
  std::string string(const json& v, const std::string& where, const char* key) const {
    if (!v.is_string()) fail(where, std::string("'") + key + "' must be a string");
    return v.get<std::string>();
  }
  // Optional 0/1 (or true/false) flag.
  bool flag(const json& obj, const char* key, const std::string& where) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return false;
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_number_integer()) {
      auto v = it->get<std::int64_t>();
      if (v == 0 || v == 1) return v == 1;
    }
    fail(where, std::string("'") + key + "' must be 0 or 1");
  }
  // An image id (int or string) as (text, numeric).
  std::pair<std::string, bool> id(const json& v, const std::string& where, const char* key) const {
    if (v.is_string()) return {v.get<std::string>(), false};
    if (v.is_number_integer()) return {std::to_string(v.get<std::int64_t>()), true};
    fail(where, std::string("'") + key + "' must be an integer or a string");
  }

 private:
  const std::string& name_;
};

std::string at(const char* array, std::size_t i) {
  return std::string(array) + "[" + std::to_string(i) + "]";
}

}  // namespace

nlohmann::ordered_json image_id_json(const ImageRecord& record) {
  if (record.numeric_id) return std::stoll(record.id);
  return record.id;
}

Dataset parse_coco(std::string_view json_text,
                   const std::string& name,
                   const std::string& image_root,
                   Diagnostics& diag) {
  Checker check(name);
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw DataError(name, std::string("malformed JSON: ") + e.what());
  }
  if (!root.is_object())
    check.fail("top level", "must be a JSON object with images, annotations, categories");

  Dataset ds;
  ds.image_root = image_root;

  std::unordered_map<std::int64_t, int> label_of;
  const json& categories = check.array(root, "categories");
  for (std::size_t i = 0; i < categories.size(); ++i) {
    const json& c = categories[i];
    std::string where = at("categories", i);
    if (!c.is_object()) check.fail(where, "must be an object");
    Category cat;
    cat.id = check.integer(check.field(c, "id", where), where, "id");
    cat.name = check.string(check.field(c, "name", where), where, "name");
    if (auto s = c.find("supercategory"); s != c.end())
      cat.supercategory = check.string(*s, where, "supercategory");
    if (!label_of.emplace(cat.id, static_cast<int>(ds.categories.size())).second)
      check.fail(where, "duplicate category id " + std::to_string(cat.id));
    ds.categories.push_back(std::move(cat));
  }

  std::unordered_map<std::string, std::size_t> image_of;
  const json& images = check.array(root, "images");
  ds.images.reserve(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    const json& im = images[i];
    std::string where = at("images", i);
    if (!im.is_object()) check.fail(where, "must be an object");
    ImageRecord r;
    std::tie(r.id, r.numeric_id) = check.id(check.field(im, "id", where), where, "id");
    r.file_name = check.string(check.field(im, "file_name", where), where, "file_name");
    std::int64_t w = check.integer(check.field(im, "width", where), where, "width");
    std::int64_t h = check.integer(check.field(im, "height", where), where, "height");
    if (w <= 0 || h <= 0 || w > 1000000 || h > 1000000)
      check.fail(where, "image size " + std::to_string(w) + "x" + std::to_string(h) +
                            " is not positive and sane");
    r.width = static_cast<int>(w);
    r.height = static_cast<int>(h);
    if (!image_of.emplace(ImageRecord::id_key(r.id, r.numeric_id), ds.images.size()).second)
      check.fail(where, "duplicate image id " + std::string(r.numeric_id ? "" : "'") + r.id +
                            (r.numeric_id ? "" : "'"));
    ds.images.push_back(std::move(r));
  }

  auto anns = root.find("annotations");
  if (anns == root.end()) return ds;
  if (!anns->is_array()) check.fail("annotations", "must be an array");
  std::set<std::int64_t> ann_ids;
  for (std::size_t i = 0; i < anns->size(); ++i) {
    const json& a = (*anns)[i];
    std::string where = at("annotations", i);
    if (!a.is_object()) check.fail(where, "must be an object");
    Object o;
    o.id = check.integer(check.field(a, "id", where), where, "id");
    if (!ann_ids.insert(o.id).second)
      check.fail(where, "duplicate annotation id " + std::to_string(o.id));
    auto [image_id, numeric] = check.id(check.field(a, "image_id", where), where, "image_id");
    auto img = image_of.find(ImageRecord::id_key(image_id, numeric));
    if (img == image_of.end())
      check.fail(where,
                 "image_id " + (numeric ? image_id : "'" + image_id + "'") + " is not in 'images'");
    std::int64_t cat = check.integer(check.field(a, "category_id", where), where, "category_id");
    auto label = label_of.find(cat);
    if (label == label_of.end())
      check.fail(where, "category_id " + std::to_string(cat) + " is not in 'categories'");
    o.label = label->second;
    const json& bbox = check.field(a, "bbox", where);
    if (!bbox.is_array() || bbox.size() != 4)
      check.fail(where, "'bbox' must be 4 numbers [x, y, w, h]");
    double x = check.number(bbox[0], where, "bbox"), y = check.number(bbox[1], where, "bbox");
    double w = check.number(bbox[2], where, "bbox"), h = check.number(bbox[3], where, "bbox");
    if (w < 0 || h < 0) check.fail(where, "'bbox' has negative width or height (inverted box)");
    o.box = {x, y, x + w, y + h};
    if (auto ar = a.find("area"); ar != a.end()) o.area = check.number(*ar, where, "area");
    o.iscrowd = check.flag(a, "iscrowd", where);
    if (a.contains("ood")) ds.has_ood_field = true;
    o.ood = check.flag(a, "ood", where);
    ImageRecord& record = ds.images[img->second];
    if (clip_box(o.box, record.width, record.height)) {
      ++diag.clipped_boxes;
      o.area = -1;
      diag.warn(name, where + ": box outside its " + std::to_string(record.width) + "x" +
                          std::to_string(record.height) + " image, clipped");
    }
    if (o.box.degenerate()) {
      ++diag.dropped_boxes;
      diag.warn(name, where + ": degenerate box (zero width or height), dropped");
      continue;
    }
    record.objects.push_back(o);
  }
  return ds;
}

Dataset read_coco(const std::string& path, const std::string& image_root, Diagnostics& diag) {
  return parse_coco(read_text_file(path), path, image_root, diag);
}

nlohmann::ordered_json to_coco_json(const Dataset& dataset) {
  using ojson = nlohmann::ordered_json;
  bool keep_ids = true, write_ood = dataset.has_ood_field;
  std::set<std::int64_t> ids;
  for (const auto& im : dataset.images)
    for (const auto& o : im.objects) {
      keep_ids = keep_ids && o.id >= 0 && ids.insert(o.id).second;
      write_ood = write_ood || o.ood;
    }

  ojson out;
  out["info"] = {{"year", 2020}};
  out["licenses"] = ojson::array({ojson{{"id", 1}, {"name", "none"}, {"url", "none"}}});
  ojson cats = ojson::array();
  for (const auto& c : dataset.categories)
    cats.push_back(ojson{{"id", c.id}, {"name", c.name}, {"supercategory", c.supercategory}});
  out["categories"] = std::move(cats);
  ojson images = ojson::array(), anns = ojson::array();
  std::int64_t next_id = 0;
  for (const auto& im : dataset.images) {
    images.push_back(ojson{{"id", image_id_json(im)},
                           {"width", im.width},
                           {"height", im.height},
                           {"file_name", im.file_name},
                           {"license", 1}});
    for (const auto& o : im.objects) {
      if (o.label < 0 || o.label >= static_cast<int>(dataset.categories.size()))
        throw std::invalid_argument("to_coco_json: image '" + im.id +
                                    "' has an object with label " + std::to_string(o.label) +
                                    " outside the category list");
      double w = o.box.width(), h = o.box.height();
      ojson a{{"image_id", image_id_json(im)},
              {"id", keep_ids ? o.id : next_id},
              {"category_id", dataset.categories[o.label].id},
              {"bbox", ojson::array({o.box.x1, o.box.y1, w, h})},
              {"area", o.area >= 0 ? o.area : w * h},
              {"iscrowd", o.iscrowd ? 1 : 0}};
      if (write_ood) a["ood"] = o.ood ? 1 : 0;
      anns.push_back(std::move(a));
      ++next_id;
    }
  }
  out["images"] = std::move(images);
  out["annotations"] = std::move(anns);
  return out;
}

void write_coco(const Dataset& dataset, const std::string& path) {
  write_text_file(path, to_coco_json(dataset).dump());
}

}  // namespace data
