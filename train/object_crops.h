// Training data of the inpainting diffusion model: square crops around the in-distribution
// objects (box enlarged 1.5-2x), box / random / full masks, class dropped to "null"; and the
// inverse.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"
#include "engine/tensor.h"

namespace train {

// A square window of the original image in continuous pixel coordinates (box.h convention); it
// may reach past the image borders when the object is larger than the image allows.
struct CropWindow {
  double x0 = 0, y0 = 0, side = 0;
};

// The square of side context * max(w, h) centred on the box, shifted (per axis) to lie inside
// the image when it fits there; it always contains the whole box.
CropWindow crop_window(const data::Box& box, int image_width, int image_height, double context);

// Pixels [x0, x1) x [y0, y1) of the size x size crop grid that the box overlaps (never empty for
// a box of positive size).
struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool operator==(const PixelRect&) const = default;
};
PixelRect box_in_crop(const data::Box& box, const CropWindow& window, int size);

// Bilinear resampling (half-pixel centres, border pixels replicated) of the window to
// size x size, optionally mirrored: out [3, size, size] in [-1, 1].
void render_crop(
    const data::Image& image, const CropWindow& window, int size, bool flip, float* out);
// The inverse for Dream-Box: writes the pixels of `image` whose centres lie inside `box`, sampled
// bilinearly from crop [3, size, size] in [-1, 1] that was rendered from `window` (no flip).
void paste_crop(data::Image& image,
                const data::Box& box,
                const CropWindow& window,
                const float* crop,
                int size);
// crop [3, size, size] in [-1, 1] -> 8-bit image (for contact sheets).
data::Image crop_to_image(const float* crop, int size);

struct CropOptions {
  int size = 32;  // the UNet's sample_size
  double min_context = 1.5, max_context = 2.0;
  double random_mask_probability = 0.2;  // a random rectangle instead of the box
  double full_mask_probability = 0.1;    // the whole crop (class-conditional generation)
  double null_class_probability = 0.1;   // label -> "null" (classifier-free guidance)
  double flip_probability = 0.5;
  double random_mask_min = 0.25, random_mask_max = 0.75;  // side of a random mask / size
};

struct CropBatch {
  engine::Tensor image;                       // f32 [N, 3, S, S] in [-1, 1]
  engine::Tensor mask;                        // f32 [N, 1, S, S], 1 = repaint
  engine::Tensor labels;                      // i64 [N], num_classes = "null"
  CropBatch to(engine::Device device) const;  // the three tensors copied to `device`
};

// The endless stream of training crops of a data set: sample i is a pure function of (seed, i),
// drawn from Philox stream i, so any step of a run can be reproduced without replaying the others.
// Objects flagged ood, crowd or degenerate are skipped. Decoded images are cached up to a budget.
class ObjectCropSet {
 public:
  ObjectCropSet(const data::Dataset& dataset,
                CropOptions options,
                std::uint64_t seed,
                std::size_t cache_bytes = std::size_t{1} << 30);
  std::size_t num_objects() const { return objects_.size(); }
  std::int64_t null_label() const { return num_classes_; }
  const CropOptions& options() const { return options_; }
  // Samples first, first + 1, ..., first + batch_size - 1.
  CropBatch batch(std::uint64_t first, int batch_size) const;

 private:
  struct ObjectRef {
    std::size_t image = 0, object = 0;
  };
  const data::Image& image(std::size_t index) const;

  const data::Dataset& dataset_;
  CropOptions options_;
  std::uint64_t seed_;
  std::int64_t num_classes_;
  std::vector<ObjectRef> objects_;
  std::size_t cache_budget_;
  mutable std::size_t cache_bytes_ = 0;
  mutable std::map<std::size_t, data::Image> cache_;
  mutable data::Image uncached_;
};

}  // namespace train
