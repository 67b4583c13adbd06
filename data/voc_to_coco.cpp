// VOC -> COCO conversion with the literature's names, ids and layout (see voc_to_coco.h).
// Category order and supercategories follow VOS's convert_voc_to_coco.py.
#include "data/voc_to_coco.h"

#include <filesystem>
#include <stdexcept>
#include <unordered_map>

#include "data/image.h"

namespace data {

const std::vector<Category>& voc_coco_categories() {
  static const std::vector<Category> categories = {
      {1, "person", "person"},        {2, "bird", "animal"},
      {3, "cat", "animal"},           {4, "cow", "animal"},
      {5, "dog", "animal"},           {6, "horse", "animal"},
      {7, "sheep", "animal"},         {8, "airplane", "vehicle"},
      {9, "bicycle", "vehicle"},      {10, "boat", "vehicle"},
      {11, "bus", "vehicle"},         {12, "car", "vehicle"},
      {13, "motorcycle", "vehicle"},  {14, "train", "vehicle"},
      {15, "bottle", "indoor"},       {16, "chair", "indoor"},
      {17, "dining table", "indoor"}, {18, "potted plant", "indoor"},
      {19, "couch", "indoor"},        {20, "tv", "indoor"}};
  return categories;
}

std::string coco_name_for_voc(const std::string& voc_name) {
  static const std::unordered_map<std::string, std::string> renames = {
      {"aeroplane", "airplane"},   {"diningtable", "dining table"},
      {"motorbike", "motorcycle"}, {"pottedplant", "potted plant"},
      {"sofa", "couch"},           {"tvmonitor", "tv"}};
  auto it = renames.find(voc_name);
  return it == renames.end() ? voc_name : it->second;
}

Dataset voc_to_coco(const Dataset& voc,
                    const std::vector<Category>& categories,
                    const VocToCocoOptions& options,
                    Diagnostics& diag) {
  std::vector<int> relabel(voc.categories.size(), -1);
  for (std::size_t i = 0; i < voc.categories.size(); ++i) {
    std::string name = coco_name_for_voc(voc.categories[i].name);
    for (std::size_t j = 0; j < categories.size(); ++j)
      if (categories[j].name == name) relabel[i] = static_cast<int>(j);
  }
  Dataset out;
  out.categories = categories;
  out.image_root = options.flat_file_names ? options.flat_image_root : voc.image_root;
  std::int64_t next_id = 0;
  for (const ImageRecord& src : voc.images) {
    ImageRecord r = src;
    if (options.sizes_from_images) {
      ImageSize size = read_image_size(voc.image_path(src));
      if (size.width != src.width || size.height != src.height)
        diag.warn(voc.image_path(src),
                  "image is " + std::to_string(size.width) + "x" + std::to_string(size.height) +
                      " but its annotation says " + std::to_string(src.width) + "x" +
                      std::to_string(src.height) + "; using the image's size");
      r.width = size.width;
      r.height = size.height;
    }
    if (options.flat_file_names)
      r.file_name = std::filesystem::path(src.file_name).filename().string();
    for (Object& o : r.objects) {
      if (o.label < 0 || o.label >= static_cast<int>(relabel.size()) || relabel[o.label] < 0)
        throw std::invalid_argument(
            "voc_to_coco: class '" +
            (o.label >= 0 && o.label < static_cast<int>(voc.categories.size())
                 ? voc.categories[o.label].name
                 : std::to_string(o.label)) +
            "' of image '" + src.id + "' has no category in the target list");
      o.label = relabel[o.label];
      o.id = next_id++;
      o.area = -1;
      o.iscrowd = false;
    }
    out.images.push_back(std::move(r));
  }
  return out;
}

}  // namespace data
