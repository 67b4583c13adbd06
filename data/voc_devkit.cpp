// VOCdevkit split reader: "07+12 trainval" -> ImageSets/Main lists -> Annotations XML (see voc.h).
// Every missing file or bad line is reported with its path and what the layout should be.
#include <filesystem>
#include <set>
#include <sstream>

#include "data/file_io.h"
#include "data/voc.h"

namespace data {

namespace {

std::string expand_year(const std::string& y, const std::string& spec) {
  if (y == "07" || y == "2007") return "2007";
  if (y == "12" || y == "2012") return "2012";
  throw std::invalid_argument("VOC split '" + spec + "': unknown year '" + y +
                              "' (use 07, 12, 2007 or 2012, joined with '+')");
}

}  // namespace

VocSplit parse_voc_split(const std::string& spec) {
  std::istringstream in(spec);
  std::string years, image_set, extra;
  if (!(in >> years >> image_set) || (in >> extra))
    throw std::invalid_argument("VOC split '" + spec +
                                "': expected '<years> <set>', e.g. '07+12 trainval' or '07 test'");
  VocSplit split;
  split.image_set = image_set;
  std::size_t start = 0;
  while (true) {
    std::size_t plus = years.find('+', start);
    std::string y = expand_year(years.substr(start, plus - start), spec);
    for (const auto& seen : split.years)
      if (seen == y)
        throw std::invalid_argument("VOC split '" + spec + "': year " + y + " given twice");
    split.years.push_back(y);
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return split;
}

Dataset read_voc(const std::string& devkit,
                 const std::string& split_spec,
                 const std::vector<std::string>& classes,
                 Diagnostics& diag) {
  namespace fs = std::filesystem;
  VocSplit split = parse_voc_split(split_spec);
  if (!fs::is_directory(devkit))
    throw DataError(devkit,
                    "VOCdevkit folder not found (expected <devkit>/VOC2007/Annotations, ...)");
  Dataset ds;
  ds.categories = categories_from_names(classes);
  ds.image_root = devkit;
  std::set<std::string> seen;
  for (const std::string& year : split.years) {
    fs::path voc = fs::path(devkit) / ("VOC" + year);
    fs::path list = voc / "ImageSets" / "Main" / (split.image_set + ".txt");
    if (!fs::exists(list))
      throw DataError(list.string(), "split file not found (is " + voc.string() + " a VOC" + year +
                                         " folder with ImageSets/Main/" + split.image_set +
                                         ".txt?)");
    std::istringstream lines(read_text_file(list.string()));
    std::string line;
    int line_no = 0;
    while (std::getline(lines, line)) {
      ++line_no;
      std::istringstream tokens(line);
      std::string id;
      if (!(tokens >> id)) continue;  // blank line
      if (id.find('/') != std::string::npos || id.find('\\') != std::string::npos || id == "." ||
          id == "..")
        throw DataError(list.string(),
                        "line " + std::to_string(line_no) + ": bad image id '" + id + "'");
      if (!seen.insert(id).second)
        throw DataError(list.string(),
                        "line " + std::to_string(line_no) + ": duplicate image id '" + id + "'");
      fs::path xml = voc / "Annotations" / (id + ".xml");
      VocAnnotation a = read_voc_xml(xml.string(), classes, diag);
      ImageRecord record;
      record.id = id;
      record.file_name = (fs::path("VOC" + year) / "JPEGImages" / (id + ".jpg")).string();
      record.width = a.width;
      record.height = a.height;
      record.objects = std::move(a.objects);
      ds.images.push_back(std::move(record));
    }
  }
  return ds;
}

}  // namespace data
