// Loading and checking an outlier data set (see outlier_set.h) and mixing it into the ID
// training set of the Dream-Box detector.
#include "train/outlier_set.h"

#include <filesystem>
#include <map>
#include <stdexcept>

#include "data/coco.h"
#include "data/error.h"

namespace train {

namespace fs = std::filesystem;

OutlierSource parse_outlier_source(const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon != std::string::npos && colon >= 5 && value.compare(colon - 5, 5, ".json") == 0 &&
      colon + 1 < value.size())
    return {value.substr(0, colon), value.substr(colon + 1)};
  const std::string parent = fs::path(value).parent_path().string();
  return {value, parent.empty() ? "." : parent};
}

data::Dataset load_outlier_set(const OutlierSource& source, const data::Dataset& id_train) {
  const std::string where = "outlier set " + source.json + ": ";
  if (!fs::is_regular_file(source.json))
    throw std::runtime_error(where +
                             "file not found (expected a COCO JSON whose outlier objects have "
                             "\"ood\": 1; --outliers JSON[:IMAGE_DIR])");
  if (!fs::is_directory(source.image_dir))
    throw std::runtime_error(where + "image folder '" + source.image_dir + "' not found");
  data::Diagnostics diag;
  data::Dataset set = data::read_coco(source.json, source.image_dir, diag);

  std::map<std::string, int> id_label;
  std::string id_names;
  for (std::size_t i = 0; i < id_train.categories.size(); ++i) {
    id_label[id_train.categories[i].name] = static_cast<int>(i);
    id_names += (id_names.empty() ? "" : ", ") + id_train.categories[i].name;
  }
  std::vector<int> relabel;
  for (const auto& c : set.categories) {
    const auto it = id_label.find(c.name);
    if (it == id_label.end())
      throw std::runtime_error(where + "category '" + c.name + "' is not one of the ID classes (" +
                               id_names + "); outlier objects keep the ID class they replace");
    relabel.push_back(it->second);
  }
  std::size_t flagged = 0;
  for (auto& image : set.images) {
    if (!fs::is_regular_file(set.image_path(image)))
      throw std::runtime_error(where + "image '" + set.image_path(image) +
                               "' not found (is IMAGE_DIR right? --outliers JSON:IMAGE_DIR)");
    for (auto& o : image.objects) {
      o.label = relabel[static_cast<std::size_t>(o.label)];
      flagged += o.ood;
    }
  }
  if (flagged == 0)
    throw std::runtime_error(where + "no object has \"ood\": 1, so it holds no outliers (" +
                             std::to_string(set.num_objects()) + " objects in " +
                             std::to_string(set.images.size()) + " images)");
  set.categories = id_train.categories;
  return set;
}

data::Dataset with_outliers(const data::Dataset& id_train, const data::Dataset& outliers) {
  data::Dataset merged;
  merged.categories = id_train.categories;
  merged.has_ood_field = true;
  for (const auto* set : {&id_train, &outliers})
    for (const auto& image : set->images) {
      data::ImageRecord record = image;
      record.file_name = set->image_path(image);
      merged.images.push_back(std::move(record));
    }
  return merged;
}

}  // namespace train
