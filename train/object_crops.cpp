// Crop geometry (window, box mask, bilinear render and paste-back) and the seeded stream of
// training crops with their masks and (possibly dropped) labels.
#include "train/object_crops.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/philox.h"

namespace train {

namespace {

// Bilinear value at index coordinates (x, y) of a plane of width x height floats read through
// `at(col, row)`, with coordinates clamped to the border (replicate padding).
template <typename At>
float bilinear(const At& at, double x, double y, int width, int height) {
  const double fx = std::floor(x), fy = std::floor(y);
  const double ax = x - fx, ay = y - fy;
  const auto clampi = [](double v, int hi) {
    return static_cast<int>(std::clamp(v, 0.0, hi - 1.0));
  };
  const int x0 = clampi(fx, width), x1 = clampi(fx + 1, width);
  const int y0 = clampi(fy, height), y1 = clampi(fy + 1, height);
  const double top = at(x0, y0) * (1 - ax) + at(x1, y0) * ax;
  const double bottom = at(x0, y1) * (1 - ax) + at(x1, y1) * ax;
  return static_cast<float>(top * (1 - ay) + bottom * ay);
}

std::uint8_t to_byte(float v) {  // [-1, 1] -> 0..255
  return static_cast<std::uint8_t>(std::lround(std::clamp((v + 1.0f) * 127.5f, 0.0f, 255.0f)));
}

}  // namespace

CropBatch CropBatch::to(engine::Device device) const {
  return {image.to(device), mask.to(device), labels.to(device)};
}

CropWindow crop_window(const data::Box& box, int image_width, int image_height, double context) {
  const double side = context * std::max(box.width(), box.height());
  const auto place = [side](double lo, double hi, int extent) {
    const double start = (lo + hi) / 2 - side / 2;
    // Larger than the image: stays centred on the box and the border pixels are replicated.
    return side <= extent ? std::clamp(start, 0.0, extent - side) : start;
  };
  return {place(box.x1, box.x2, image_width), place(box.y1, box.y2, image_height), side};
}

PixelRect box_in_crop(const data::Box& box, const CropWindow& w, int size) {
  const double scale = size / w.side;
  const auto span = [size, scale](double lo, double hi, double origin) {
    const double u0 = (lo - origin) * scale, u1 = (hi - origin) * scale;
    const int a = std::clamp(static_cast<int>(std::floor(u0 + 1e-9)), 0, size - 1);
    const int b = std::clamp(static_cast<int>(std::ceil(u1 - 1e-9)), a + 1, size);
    return std::pair{a, b};
  };
  const auto [x0, x1] = span(box.x1, box.x2, w.x0);
  const auto [y0, y1] = span(box.y1, box.y2, w.y0);
  return {x0, y0, x1, y1};
}

void render_crop(const data::Image& image, const CropWindow& w, int size, bool flip, float* out) {
  const double step = w.side / size;
  for (int c = 0; c < 3; ++c) {
    const auto at = [&](int x, int y) { return image.at(x, y)[c] / 127.5 - 1.0; };
    float* plane = out + static_cast<std::size_t>(c) * size * size;  // [size, size]
    for (int i = 0; i < size; ++i) {
      const double y = w.y0 + (i + 0.5) * step - 0.5;
      for (int j = 0; j < size; ++j) {
        const double x = w.x0 + (j + 0.5) * step - 0.5;
        plane[i * size + (flip ? size - 1 - j : j)] = bilinear(at, x, y, image.width, image.height);
      }
    }
  }
}

void paste_crop(
    data::Image& image, const data::Box& box, const CropWindow& w, const float* crop, int size) {
  // Pixels whose centres px + 0.5 lie in [x1, x2).
  const int x_lo = std::max(0, static_cast<int>(std::ceil(box.x1 - 0.5)));
  const int x_hi = std::min(image.width, static_cast<int>(std::ceil(box.x2 - 0.5)));
  const int y_lo = std::max(0, static_cast<int>(std::ceil(box.y1 - 0.5)));
  const int y_hi = std::min(image.height, static_cast<int>(std::ceil(box.y2 - 0.5)));
  const double scale = size / w.side;
  for (int c = 0; c < 3; ++c) {
    const float* plane = crop + static_cast<std::size_t>(c) * size * size;  // [size, size]
    const auto at = [&](int x, int y) { return static_cast<double>(plane[y * size + x]); };
    for (int py = y_lo; py < y_hi; ++py) {
      const double v = (py + 0.5 - w.y0) * scale - 0.5;
      for (int px = x_lo; px < x_hi; ++px) {
        const double u = (px + 0.5 - w.x0) * scale - 0.5;
        image.at(px, py)[c] = to_byte(bilinear(at, u, v, size, size));
      }
    }
  }
}

data::Image crop_to_image(const float* crop, int size) {
  data::Image out(size, size);
  const std::size_t plane = static_cast<std::size_t>(size) * size;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c) out.at(x, y)[c] = to_byte(crop[c * plane + y * size + x]);
  return out;
}

ObjectCropSet::ObjectCropSet(const data::Dataset& dataset,
                             CropOptions options,
                             std::uint64_t seed,
                             std::size_t cache_bytes)
    : dataset_(dataset),
      options_(options),
      seed_(seed),
      num_classes_(static_cast<std::int64_t>(dataset.categories.size())),
      cache_budget_(cache_bytes) {
  if (options_.size <= 0) throw std::invalid_argument("object crops: size must be positive");
  if (!(options_.min_context >= 1.0 && options_.max_context >= options_.min_context))
    throw std::invalid_argument("object crops: need 1 <= min_context <= max_context");
  for (std::size_t i = 0; i < dataset.images.size(); ++i)
    for (std::size_t j = 0; j < dataset.images[i].objects.size(); ++j) {
      const data::Object& o = dataset.images[i].objects[j];
      if (!o.ood && !o.iscrowd && !o.box.degenerate() && o.label >= 0) objects_.push_back({i, j});
    }
  if (objects_.empty())
    throw std::invalid_argument(
        "object crops: the training set has no in-distribution objects to train the diffusion "
        "model on");
}

const data::Image& ObjectCropSet::image(std::size_t index) const {
  if (auto it = cache_.find(index); it != cache_.end()) return it->second;
  data::Image decoded = data::load_image(dataset_.image_path(dataset_.images[index]));
  if (cache_bytes_ + decoded.pixels.size() > cache_budget_) {
    uncached_ = std::move(decoded);
    return uncached_;
  }
  cache_bytes_ += decoded.pixels.size();
  return cache_.emplace(index, std::move(decoded)).first->second;
}

CropBatch ObjectCropSet::batch(std::uint64_t first, int batch_size) const {
  const int s = options_.size;
  const std::size_t plane = static_cast<std::size_t>(s) * s;
  std::vector<float> pixels(batch_size * 3 * plane), masks(batch_size * plane, 0.0f);
  std::vector<std::int64_t> labels(batch_size);
  for (int k = 0; k < batch_size; ++k) {
    // Every sample makes the same draws in the same order, whatever it uses.
    engine::PhiloxStream r(seed_, first + static_cast<std::uint64_t>(k));
    const ObjectRef ref = objects_[std::min(
        objects_.size() - 1, static_cast<std::size_t>(r.uniform() * objects_.size()))];
    const double context = r.uniform(options_.min_context, options_.max_context);
    const bool flip = r.bernoulli(options_.flip_probability);
    const double mask_kind = r.uniform();
    const double rw = r.uniform(options_.random_mask_min, options_.random_mask_max);
    const double rh = r.uniform(options_.random_mask_min, options_.random_mask_max);
    const double rx = r.uniform(), ry = r.uniform();
    const bool drop_class = r.bernoulli(options_.null_class_probability);

    const data::ImageRecord& record = dataset_.images[ref.image];
    const data::Object& object = record.objects[ref.object];
    const data::Image& img = image(ref.image);
    const CropWindow window = crop_window(object.box, img.width, img.height, context);
    render_crop(img, window, s, flip, pixels.data() + k * 3 * plane);

    PixelRect m;
    if (mask_kind < options_.full_mask_probability) {
      m = {0, 0, s, s};
    } else if (mask_kind < options_.full_mask_probability + options_.random_mask_probability) {
      const int w = std::clamp(static_cast<int>(std::lround(rw * s)), 1, s);
      const int h = std::clamp(static_cast<int>(std::lround(rh * s)), 1, s);
      const int x = static_cast<int>(rx * (s - w + 1)), y = static_cast<int>(ry * (s - h + 1));
      m = {x, y, x + w, y + h};
    } else {
      m = box_in_crop(object.box, window, s);
      if (flip) m = {s - m.x1, m.y0, s - m.x0, m.y1};
    }
    float* mask = masks.data() + k * plane;  // [s, s]
    for (int y = m.y0; y < m.y1; ++y)
      for (int x = m.x0; x < m.x1; ++x) mask[y * s + x] = 1.0f;
    labels[k] = drop_class ? num_classes_ : object.label;
  }
  const std::int64_t n = batch_size;
  return {engine::from_vector(pixels, {n, 3, s, s}), engine::from_vector(masks, {n, 1, s, s}),
          engine::from_vector(labels, {n})};
}

}  // namespace train
