// Collation of transformed samples into a padded host batch (see host_batch.h).
// Targets go through forward_box, so boxes and pixels always get the same transform.
#include "data/host_batch.h"

#include <stdexcept>
#include <string>

#include "data/error.h"
#include "data/rng.h"

namespace data {

Augmentation draw_augmentation(const TransformConfig& config,
                               std::uint64_t seed,
                               std::uint64_t epoch,
                               std::size_t index) {
  if (config.short_sides.empty())
    throw std::invalid_argument("TransformConfig.short_sides is empty");
  Rng rng(mix_seed(seed, epoch, index));
  Augmentation a;
  a.short_side = config.short_sides[rng.uniform_int(
      0, static_cast<std::int64_t>(config.short_sides.size()) - 1)];
  a.flip = rng.bernoulli(config.flip_probability);
  return a;
}

HostBatch make_batch(const Dataset& dataset,
                     std::span<const std::size_t> indices,
                     const std::vector<Image>& images,
                     const TransformConfig& config,
                     std::uint64_t seed,
                     std::uint64_t epoch,
                     std::vector<float> storage) {
  if (images.size() != indices.size())
    throw std::invalid_argument("make_batch: one image per index expected");
  if (config.size_divisor <= 0)
    throw std::invalid_argument("make_batch: size_divisor must be positive");
  HostBatch batch;
  batch.size = static_cast<int>(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    std::size_t index = indices[i];
    if (index >= dataset.images.size())
      throw std::out_of_range("make_batch: index " + std::to_string(index) +
                              " outside the data set");
    const ImageRecord& record = dataset.images[index];
    const Image& image = images[i];
    Augmentation aug = draw_augmentation(config, seed, epoch, index);
    ResizedSize size = keep_ratio_size(image.width, image.height, aug.short_side, config.max_size);
    // Boxes live in the annotated frame (record size); pixels come from the decoded image. The
    // two agree for sane data; if not, boxes are mapped from the annotated frame.
    int frame_w = record.width > 0 ? record.width : image.width;
    int frame_h = record.height > 0 ? record.height : image.height;
    ImageMeta meta;
    meta.index = index;
    meta.original_width = frame_w;
    meta.original_height = frame_h;
    meta.width = size.width;
    meta.height = size.height;
    meta.scale_x = static_cast<double>(size.width) / frame_w;
    meta.scale_y = static_cast<double>(size.height) / frame_h;
    meta.flipped = aug.flip;
    Target target;
    for (const Object& o : record.objects) {
      target.boxes.push_back(forward_box(o.box, meta));
      target.labels.push_back(o.label);
      target.ood.push_back(o.ood);
      target.difficult.push_back(o.difficult);
      target.iscrowd.push_back(o.iscrowd);
    }
    batch.height = std::max(batch.height, round_up(size.height, config.size_divisor));
    batch.width = std::max(batch.width, round_up(size.width, config.size_divisor));
    batch.metas.push_back(meta);
    batch.targets.push_back(std::move(target));
  }
  const std::size_t per_image = 3 * static_cast<std::size_t>(batch.height) * batch.width;
  batch.images = std::move(storage);  // every element is written below (pixels or padding)
  batch.images.resize(per_image * indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const ImageMeta& m = batch.metas[i];
    resize_flip_normalize(images[i], m.width, m.height, m.flipped, config.normalization,
                          batch.images.data() + i * per_image, batch.width, batch.height);
  }
  return batch;
}

HostBatch make_batch(const Dataset& dataset,
                     std::span<const std::size_t> indices,
                     const TransformConfig& config,
                     std::uint64_t seed,
                     std::uint64_t epoch,
                     std::vector<float> storage) {
  std::vector<Image> images;
  images.reserve(indices.size());
  for (std::size_t index : indices) {
    if (index >= dataset.images.size())
      throw std::out_of_range("make_batch: index " + std::to_string(index) +
                              " outside the data set");
    images.push_back(load_image(dataset.image_path(dataset.images[index])));
  }
  return make_batch(dataset, indices, images, config, seed, epoch, std::move(storage));
}

}  // namespace data
