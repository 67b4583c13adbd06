// Small helpers of the in-memory data set (see dataset.h).
// Paths are joined with std::filesystem so an empty image_root means "relative to cwd".
#include "data/dataset.h"

#include <filesystem>

namespace data {

std::string ImageRecord::id_key(const std::string& id, bool numeric) {
  std::string key;
  key.reserve(id.size() + 1);
  key.push_back(numeric ? '#' : '$');
  key.append(id);
  return key;
}

std::string Dataset::image_path(const ImageRecord& record) const {
  if (image_root.empty()) return record.file_name;
  return (std::filesystem::path(image_root) / record.file_name).string();
}

std::vector<std::string> Dataset::class_names() const {
  std::vector<std::string> names;
  names.reserve(categories.size());
  for (const auto& c : categories) names.push_back(c.name);
  return names;
}

std::size_t Dataset::num_objects() const {
  std::size_t n = 0;
  for (const auto& image : images) n += image.objects.size();
  return n;
}

}  // namespace data
