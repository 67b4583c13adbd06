// Command-line front end of the data layer: generate the shapes data set, convert VOC to the
// literature's COCO JSON, check a COCO file against its images. Run without arguments for usage.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "data/coco.h"
#include "data/image.h"
#include "data/shapes/generator.h"
#include "data/voc.h"
#include "data/voc_to_coco.h"

namespace {

const char* kUsage =
    "usage:\n"
    "  dreambox_data shapes OUT_DIR [--seed N] [--trainval N] [--test N] [--near N] [--far N]\n"
    "      writes the synthetic shapes data set (VOCdevkit tree, COCO JSON, near/far OOD sets)\n"
    "  dreambox_data voc2coco VOCDEVKIT \"07+12 trainval\" OUT.json [--xml-sizes] [--classes "
    "shapes|a,b,..]\n"
    "      VOC split -> COCO JSON as the OOD literature's voc0712_train_all.json / "
    "val_coco_format.json\n"
    "      (--classes: a devkit with other classes, e.g. the shapes data set's)\n"
    "  dreambox_data check-coco FILE.json [IMAGE_DIR]\n"
    "      reads a COCO file strictly, prints counts and repairs, checks every image exists\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int to_int(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    long long v = std::stoll(value, &used);
    if (used != value.size() || v < 0 || v > 100000000) throw std::invalid_argument("range");
    return static_cast<int>(v);
  } catch (const std::exception&) {
    throw UsageError(flag + " needs a non-negative integer, got '" + value + "'");
  }
}

int cmd_shapes(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("shapes: missing OUT_DIR");
  data::shapes::ShapesConfig c;
  for (std::size_t i = 1; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
    const std::string& f = args[i];
    int v = to_int(f, args[i + 1]);
    if (f == "--seed")
      c.seed = static_cast<std::uint64_t>(v);
    else if (f == "--trainval")
      c.trainval_images = v;
    else if (f == "--test")
      c.test_images = v;
    else if (f == "--near")
      c.near_ood_images = v;
    else if (f == "--far")
      c.far_ood_images = v;
    else
      throw UsageError("shapes: unknown option " + f);
  }
  auto s = data::shapes::generate_shapes(args[0], c);
  std::cout << "shapes: " << s.images << " images, " << s.objects << " objects (" << s.difficult
            << " difficult, " << s.truncated << " truncated) in " << s.layout.root << "\n";
  return 0;
}

int cmd_voc2coco(const std::vector<std::string>& args) {
  if (args.size() < 3) throw UsageError("voc2coco: expected VOCDEVKIT SPLIT OUT.json [options]");
  data::VocToCocoOptions opt;
  std::vector<std::string> classes = data::voc_classes();
  std::vector<data::Category> categories = data::voc_coco_categories();
  for (std::size_t i = 3; i < args.size(); ++i) {
    if (args[i] == "--xml-sizes") {
      opt.sizes_from_images = false;
    } else if (args[i] == "--classes" && i + 1 < args.size()) {
      std::string list = args[++i];
      if (list == "shapes") {
        classes = data::shapes::id_classes();
        categories = data::shapes::shape_categories(data::shapes::Family::id);
      } else {
        classes.clear();
        for (std::size_t start = 0, comma; start <= list.size(); start = comma + 1) {
          comma = list.find(',', start);
          if (comma == std::string::npos) comma = list.size();
          if (comma == start) throw UsageError("--classes: empty class name in '" + list + "'");
          classes.push_back(list.substr(start, comma - start));
        }
        categories = data::categories_from_names(classes);
      }
    } else {
      throw UsageError("voc2coco: unknown option " + args[i]);
    }
  }
  data::Diagnostics diag;
  data::Dataset voc = data::read_voc(args[0], args[1], classes, diag);
  data::Dataset coco = data::voc_to_coco(voc, categories, opt, diag);
  data::write_coco(coco, args[2]);
  std::cout << "voc2coco: " << coco.images.size() << " images, " << coco.num_objects()
            << " objects -> " << args[2] << " (" << diag.clipped_boxes << " clipped, "
            << diag.dropped_boxes << " dropped)\n";
  return 0;
}

int cmd_check_coco(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2)
    throw UsageError("check-coco: expected FILE.json [IMAGE_DIR]");
  data::Diagnostics diag;
  data::Dataset ds = data::read_coco(args[0], args.size() > 1 ? args[1] : "", diag);
  std::size_t ood = 0, missing = 0;
  for (const auto& im : ds.images) {
    for (const auto& o : im.objects) ood += o.ood;
    if (args.size() > 1 && !std::filesystem::exists(ds.image_path(im))) {
      if (++missing <= 10) std::cerr << "check-coco: missing image " << ds.image_path(im) << "\n";
    }
  }
  std::cout << "check-coco: " << ds.images.size() << " images, " << ds.num_objects() << " objects ("
            << ood << " ood), " << ds.categories.size() << " categories, " << diag.clipped_boxes
            << " clipped, " << diag.dropped_boxes << " dropped";
  if (args.size() > 1) std::cout << ", " << missing << " images missing";
  std::cout << "\n";
  return missing ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
      std::cout << kUsage;
      return args.empty() ? 2 : 0;
    }
    std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "shapes") return cmd_shapes(args);
    if (cmd == "voc2coco") return cmd_voc2coco(args);
    if (cmd == "check-coco") return cmd_check_coco(args);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const UsageError& e) {
    std::cerr << "dreambox_data: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "dreambox_data: error: " << e.what() << "\n";
    return 1;
  }
}
