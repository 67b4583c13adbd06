// Finding the input images of `detect` and reading their sizes from the file headers (a file
// that is not a readable JPEG/PNG is reported and left out, never fatal).
#include "train/image_inputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "data/file_io.h"
#include "data/image.h"

namespace train {

namespace fs = std::filesystem;

bool is_image_file_name(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

namespace {

// (image_root, file names relative to it) for each kind of input.
std::pair<std::string, std::vector<std::string>> list_inputs(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw std::runtime_error("--images " + path + ": no such file or folder");
  std::vector<std::string> files;
  if (fs::is_directory(status)) {
    for (fs::recursive_directory_iterator
             it(path, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec) && is_image_file_name(it->path().string()))
        files.push_back(fs::relative(it->path(), path).string());
    if (ec)
      throw std::runtime_error("--images " + path + ": cannot list the folder: " + ec.message());
    if (files.empty())
      throw std::runtime_error("--images " + path +
                               ": no JPEG or PNG images in this folder (searched recursively)");
    std::sort(files.begin(), files.end());
    return {path, files};
  }
  if (is_image_file_name(path)) return {"", {path}};
  // A list file: one path per line.
  std::istringstream lines(data::read_text_file(path));
  const fs::path base = fs::path(path).parent_path();
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const fs::path p = line.substr(first);
    files.push_back(p.is_absolute() || base.empty() ? p.string() : (base / p).string());
  }
  if (files.empty())
    throw std::runtime_error("--images " + path +
                             ": lists no images (expected a .jpg/.jpeg/.png file, a folder, or a "
                             "text file with one image path per line)");
  return {"", files};
}

}  // namespace

ImageInputs collect_images(const std::string& path, const std::vector<std::string>& classes) {
  ImageInputs inputs;
  auto [root, files] = list_inputs(path);
  inputs.dataset.image_root = root;
  for (std::size_t i = 0; i < classes.size(); ++i)
    inputs.dataset.categories.push_back({static_cast<std::int64_t>(i + 1), classes[i], ""});
  for (const auto& file : files) {
    data::ImageRecord record;
    record.file_name = file;
    const std::string full = inputs.dataset.image_path(record);
    try {
      const auto size = data::read_image_size(full);
      record.width = size.width;
      record.height = size.height;
    } catch (const std::exception& e) {
      inputs.skipped.push_back(e.what());
      continue;
    }
    record.id = std::to_string(inputs.dataset.images.size() + 1);
    record.numeric_id = true;
    inputs.dataset.images.push_back(std::move(record));
  }
  return inputs;
}

}  // namespace train
