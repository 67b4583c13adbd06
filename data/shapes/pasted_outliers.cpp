// Pasted-shapes outliers (see pasted_outliers.h): each chosen box is covered by a patch rendered
// by the shapes painter with one novel-kind object, the way Dream-Box inpaints a whole box.
#include "data/shapes/pasted_outliers.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "data/coco.h"
#include "data/image.h"
#include "data/rng.h"
#include "data/shapes/render.h"

namespace data::shapes {

namespace fs = std::filesystem;

PastedOutliersLayout pasted_outliers_layout(const std::string& shapes_root) {
  const fs::path dir = fs::path(shapes_root) / "pasted_outliers";
  return {(dir / "images").string(), (dir / "annotations.json").string()};
}

namespace {

// Repaints the box [x0, x1) x [y0, y1) as background: per pixel, the mean of the horizontal
// interpolation between the pixels left and right of the box and the vertical one between the
// pixels above and below it, plus sensor-like noise (a smooth stand-in for inpainting).
void fill_from_border(Image& image, int x0, int y0, int x1, int y1, Rng& rng) {
  const auto at = [&](int x, int y) {
    return image.at(std::clamp(x, 0, image.width - 1), std::clamp(y, 0, image.height - 1));
  };
  std::vector<std::uint8_t> left, right, top, bottom;  // border colours, copied before painting
  for (int y = y0; y < y1; ++y) {
    left.insert(left.end(), at(x0 - 1, y), at(x0 - 1, y) + 3);
    right.insert(right.end(), at(x1, y), at(x1, y) + 3);
  }
  for (int x = x0; x < x1; ++x) {
    top.insert(top.end(), at(x, y0 - 1), at(x, y0 - 1) + 3);
    bottom.insert(bottom.end(), at(x, y1), at(x, y1) + 3);
  }
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      const double tx = (x - x0 + 1.0) / (x1 - x0 + 1.0), ty = (y - y0 + 1.0) / (y1 - y0 + 1.0);
      const auto r = static_cast<std::size_t>(3 * (y - y0)),
                 c = static_cast<std::size_t>(3 * (x - x0));
      for (int k = 0; k < 3; ++k) {
        const double across = left[r + k] * (1 - tx) + right[r + k] * tx;
        const double down = top[c + k] * (1 - ty) + bottom[c + k] * ty;
        const double value = 0.5 * (across + down) + static_cast<double>(rng.uniform_int(-8, 8));
        image.at(x, y)[k] = static_cast<std::uint8_t>(std::clamp(value, 0.0, 255.0));
      }
    }
}

// Repaints `object`'s box as background and draws one pasted-kind shape into it; the object takes
// the shape's box (image coordinates) and the ood flag. False (image untouched) when no shape fits.
bool paste_into(Image& image, Object& object, std::uint64_t seed) {
  const int x0 = std::clamp(static_cast<int>(object.box.x1) - 1, 0, image.width - 1);
  const int y0 = std::clamp(static_cast<int>(object.box.y1) - 1, 0, image.height - 1);
  const int x1 = std::clamp(static_cast<int>(object.box.x2), x0 + 1, image.width);
  const int y1 = std::clamp(static_cast<int>(object.box.y2), y0 + 1, image.height);
  RenderOptions options;
  options.width = x1 - x0;
  options.height = y1 - y0;
  options.min_objects = options.max_objects = 1;
  options.min_radius = 0.32;  // the novel shape fills most of the box, centred, never cut
  options.max_radius = 0.42;
  options.margin = 0.42;
  options.truncated_share = 0;
  const RenderedImage patch = render_image(Family::pasted, seed, options);
  if (patch.objects.empty()) return false;
  Rng rng(mix64(seed));
  fill_from_border(image, x0, y0, x1, y1, rng);
  for (int y = 0; y < patch.image.height; ++y)
    for (int x = 0; x < patch.image.width; ++x)
      if (patch.owner[static_cast<std::size_t>(y) * patch.image.width + x] == 0)
        std::copy_n(patch.image.at(x, y), 3, image.at(x0 + x, y0 + y));
  const Box& b = patch.objects[0].box;  // 1-based inclusive in the patch
  object.box = {b.x1 + x0, b.y1 + y0, b.x2 + x0, b.y2 + y0};
  object.ood = true;
  object.difficult = object.truncated = false;
  object.area = -1;
  return true;
}

}  // namespace

Dataset generate_pasted_outliers(const Dataset& id_train,
                                 const std::string& shapes_root,
                                 const PastedOutliersConfig& config) {
  if (config.images < 1 || config.min_box_area < 0)
    throw std::invalid_argument("PastedOutliersConfig: need images >= 1 and min_box_area >= 0");
  std::vector<std::size_t> sources;
  for (std::size_t i = 0; i < id_train.images.size(); ++i)
    for (const auto& o : id_train.images[i].objects)
      if (o.box.area() >= config.min_box_area) {
        sources.push_back(i);
        break;
      }
  if (sources.empty())
    throw std::runtime_error("pasted-shapes outliers: no training object has a box of at least " +
                             std::to_string(config.min_box_area) + " px^2");
  const PastedOutliersLayout layout = pasted_outliers_layout(shapes_root);
  fs::create_directories(layout.image_dir);
  Dataset out;
  out.categories = id_train.categories;
  out.image_root = layout.image_dir;
  out.has_ood_field = true;
  Rng rng(mix_seed(config.seed, 0x9a57ed));
  for (int k = 0; k < config.images; ++k) {
    const ImageRecord& source = id_train.images[sources[static_cast<std::size_t>(
        rng.uniform_int(0, static_cast<std::int64_t>(sources.size()) - 1))]];
    Image image = load_image(id_train.image_path(source));
    ImageRecord record = source;
    record.id = "pasted_" + std::to_string(k);
    record.numeric_id = false;
    record.file_name =
        fs::path(source.file_name).stem().string() + "_pasted_" + std::to_string(k) + ".png";
    std::vector<std::size_t> order(record.objects.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return record.objects[a].box.area() > record.objects[b].box.area();
    });
    std::vector<Box> patches;
    for (std::size_t i : order) {
      Object& o = record.objects[i];
      const Box covered = o.box;
      if (o.box.area() >= config.min_box_area &&
          paste_into(image, o, mix_seed(config.seed, static_cast<std::uint64_t>(k), i)))
        patches.push_back(covered);
    }
    // An ID object mostly painted over by patches is gone from the image: drop its box.
    std::erase_if(record.objects, [&](const Object& o) {
      if (o.ood) return false;
      double hidden = 0;
      for (const Box& p : patches)
        hidden += std::max(0.0, std::min(o.box.x2, p.x2) - std::max(o.box.x1, p.x1)) *
                  std::max(0.0, std::min(o.box.y2, p.y2) - std::max(o.box.y1, p.y1));
      return hidden > 0.5 * o.box.area();
    });
    for (auto& o : record.objects) o.id = -1;
    save_image(image, (fs::path(layout.image_dir) / record.file_name).string());
    out.images.push_back(std::move(record));
  }
  write_coco(out, layout.json);
  return out;
}

}  // namespace data::shapes
