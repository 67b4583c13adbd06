// The Dream-Box outlier stage of train_dreambox: objects of ID training images are repainted by
// the diffusion model from a noised class embedding; PNGs + COCO JSON ("ood": 1) + a contact sheet.
#pragma once

#include <optional>
#include <string>

#include "data/dataset.h"
#include "models/unet.h"
#include "train/options.h"

namespace train {

struct OutlierResult {
  std::string folder;         // <run>/outliers
  std::string image_dir;      // <run>/outliers/images (the JSON's image root)
  std::string json;           // <run>/outliers/outliers.json
  std::string contact_sheet;  // <run>/outliers/contact_sheet.png: original crop | outlier
  data::Dataset outliers;     // what the JSON holds, read back through data::read_coco
};

// Picks --outlier-images images (seeded) among those with an object larger than
// --outlier-min-area, inpaints each such object largest first with embedding
// e_c + N(0, (std * rms)^2 I) (rms of the class table) at --guidance over --ddim-steps DDIM steps,
// pastes it back at the original resolution and writes the outputs above. Objects keep their
// class; inpainted ones are "ood": 1, the others "ood": 0. Image ids continue after the largest
// numeric id of the training set. When outliers.json exists already it is read back instead.
OutlierResult generate_outliers(const Options& options,
                                const std::string& run_root,
                                const data::Dataset& train_set,
                                models::UNet2DModel& unet);
// The same with the EMA UNet of <run_root>/diffusion on `device` (an error says to run that
// stage first). The first overload samples on the device that holds `unet`'s weights.
OutlierResult generate_outliers(const Options& options,
                                const std::string& run_root,
                                const data::Dataset& train_set,
                                engine::Device device = engine::Device::cpu());

// Dream-Box's modified class embedding e_c + N(0, noise_std^2 I) of class `label`, the noise
// drawn from `gen` on the UNet's device (Philox: the same numbers on the CPU and cuda) -> [1, E].
engine::Tensor modified_class_embedding(models::UNet2DModel& unet,
                                        std::int64_t label,
                                        double noise_std,
                                        engine::Generator& gen);

// The outputs of an earlier run of the stage in run_root, when its outliers.json exists.
std::optional<OutlierResult> existing_outliers(const std::string& run_root);

}  // namespace train
