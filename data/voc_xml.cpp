// PASCAL VOC annotation XML through pugixml: parse with strict checks, and write (see voc.h).
// Bad coordinates throw; boxes outside the image are clipped and degenerate ones dropped.
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "data/file_io.h"
#include "data/voc.h"

namespace data {

namespace {

std::string describe(int index, const std::string& cls) {
  return "object " + std::to_string(index) + (cls.empty() ? "" : " ('" + cls + "')");
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The text of a required child element, e.g. <width>500</width>.
std::string child_text(const pugi::xml_node& node,
                       const char* child,
                       const std::string& name,
                       const std::string& where) {
  pugi::xml_node c = node.child(child);
  if (!c) throw DataError(name, where + " has no <" + child + ">");
  return c.text().as_string();
}

double number(const pugi::xml_node& node,
              const char* child,
              const std::string& name,
              const std::string& where) {
  std::string text = child_text(node, child, name, where);
  auto value = parse_number(text);
  if (!value) throw DataError(name, where + ": <" + child + "> is '" + text + "', not a number");
  return *value;
}

// Optional 0/1 flag such as <difficult>; absent means 0.
bool flag(const pugi::xml_node& node,
          const char* child,
          const std::string& name,
          const std::string& where) {
  if (!node.child(child)) return false;
  std::string text = node.child(child).text().as_string();
  auto value = parse_number(text);
  if (!value || (*value != 0 && *value != 1))
    throw DataError(name, where + ": <" + child + "> is '" + text + "', expected 0 or 1");
  return *value == 1;
}

int image_dimension(const pugi::xml_node& size, const char* child, const std::string& name) {
  double v = number(size, child, name, "<size>");
  if (v != std::floor(v) || v <= 0 || v > 1e6)
    throw DataError(name, std::string("<size><") + child + "> must be a positive integer, got " +
                              std::to_string(v));
  return static_cast<int>(v);
}

std::string format_coordinate(double v) {
  std::ostringstream s;
  s.precision(17);
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    s << static_cast<long long>(v);
  } else {
    s << v;
  }
  return s.str();
}

}  // namespace

const std::vector<std::string>& voc_classes() {
  static const std::vector<std::string> classes = {
      "aeroplane", "bicycle",     "bird",  "boat",        "bottle", "bus",      "car",
      "cat",       "chair",       "cow",   "diningtable", "dog",    "horse",    "motorbike",
      "person",    "pottedplant", "sheep", "sofa",        "train",  "tvmonitor"};
  return classes;
}

std::vector<Category> categories_from_names(const std::vector<std::string>& names) {
  std::vector<Category> categories;
  for (std::size_t i = 0; i < names.size(); ++i)
    categories.push_back({static_cast<std::int64_t>(i + 1), names[i], ""});
  return categories;
}

VocAnnotation parse_voc_xml(std::string_view xml,
                            const std::string& name,
                            const std::vector<std::string>& classes,
                            Diagnostics& diag) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed)
    throw DataError(name, std::string("malformed XML: ") + parsed.description() + " at byte " +
                              std::to_string(parsed.offset));
  pugi::xml_node root = doc.child("annotation");
  if (!root) throw DataError(name, "not a VOC annotation: no <annotation> root element");

  VocAnnotation out;
  out.filename = root.child("filename").text().as_string();
  pugi::xml_node size = root.child("size");
  if (!size) throw DataError(name, "<annotation> has no <size>");
  out.width = image_dimension(size, "width", name);
  out.height = image_dimension(size, "height", name);

  int index = 0;
  for (pugi::xml_node obj : root.children("object")) {
    std::string where = describe(index, "");
    std::string cls = child_text(obj, "name", name, where);
    // VOC names occasionally carry stray whitespace; class names themselves never do.
    while (!cls.empty() && std::isspace(static_cast<unsigned char>(cls.back()))) cls.pop_back();
    while (!cls.empty() && std::isspace(static_cast<unsigned char>(cls.front()))) cls.erase(0, 1);
    where = describe(index, cls);
    auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw DataError(name, where + ": unknown class '" + cls + "' (known: " + join(classes) + ")");

    pugi::xml_node bnd = obj.child("bndbox");
    if (!bnd) throw DataError(name, where + " has no <bndbox>");
    Object o;
    o.label = static_cast<int>(it - classes.begin());
    o.box = {number(bnd, "xmin", name, where), number(bnd, "ymin", name, where),
             number(bnd, "xmax", name, where), number(bnd, "ymax", name, where)};
    o.difficult = flag(obj, "difficult", name, where);
    o.truncated = flag(obj, "truncated", name, where);
    if (o.box.x2 < o.box.x1 || o.box.y2 < o.box.y1)
      throw DataError(name, where + ": inverted box (xmin " + format_coordinate(o.box.x1) +
                                ", ymin " + format_coordinate(o.box.y1) + ", xmax " +
                                format_coordinate(o.box.x2) + ", ymax " +
                                format_coordinate(o.box.y2) + ")");
    ++index;
    if (clip_box(o.box, out.width, out.height)) {
      ++diag.clipped_boxes;
      diag.warn(name, where + ": box outside the " + std::to_string(out.width) + "x" +
                          std::to_string(out.height) + " image, clipped");
    }
    if (o.box.degenerate()) {
      ++diag.dropped_boxes;
      diag.warn(name, where + ": degenerate box (zero width or height), dropped");
      continue;
    }
    out.objects.push_back(o);
  }
  return out;
}

VocAnnotation read_voc_xml(const std::string& path,
                           const std::vector<std::string>& classes,
                           Diagnostics& diag) {
  return parse_voc_xml(read_text_file(path), path, classes, diag);
}

std::string write_voc_xml(const VocAnnotation& annotation,
                          const std::vector<std::string>& classes,
                          const std::string& folder) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("annotation");
  root.append_child("folder").text().set(folder.c_str());
  root.append_child("filename").text().set(annotation.filename.c_str());
  pugi::xml_node size = root.append_child("size");
  size.append_child("width").text().set(annotation.width);
  size.append_child("height").text().set(annotation.height);
  size.append_child("depth").text().set(3);
  root.append_child("segmented").text().set(0);
  for (const Object& o : annotation.objects) {
    if (o.label < 0 || o.label >= static_cast<int>(classes.size()))
      throw std::invalid_argument("write_voc_xml: label " + std::to_string(o.label) +
                                  " out of range");
    pugi::xml_node obj = root.append_child("object");
    obj.append_child("name").text().set(classes[o.label].c_str());
    obj.append_child("pose").text().set("Unspecified");
    obj.append_child("truncated").text().set(o.truncated ? 1 : 0);
    obj.append_child("difficult").text().set(o.difficult ? 1 : 0);
    pugi::xml_node bnd = obj.append_child("bndbox");
    bnd.append_child("xmin").text().set(format_coordinate(o.box.x1).c_str());
    bnd.append_child("ymin").text().set(format_coordinate(o.box.y1).c_str());
    bnd.append_child("xmax").text().set(format_coordinate(o.box.x2).c_str());
    bnd.append_child("ymax").text().set(format_coordinate(o.box.y2).c_str());
  }
  std::ostringstream out;
  doc.save(out, "\t", pugi::format_default | pugi::format_no_declaration);
  return out.str();
}

}  // namespace data
