// Pictures made of model-resolution crops: a grid of [3, S, S] crops in [-1, 1] on a grey
// ground (outlier contact sheet, diffusion preview).
#pragma once

#include <vector>

#include "data/image.h"

namespace train {

// crops[k] points at a [3, size, size] crop in [-1, 1]; they are laid out `columns` per row,
// each shown `zoom` times its size, with a wider gap after every `group` crops of a row.
data::Image crop_sheet(
    const std::vector<const float*>& crops, int size, int columns, int group, int zoom = 2);

}  // namespace train
