// The crop grid: nearest-neighbour zoom of each crop into its cell of a grey sheet.
#include "train/crop_sheet.h"

#include <algorithm>
#include <stdexcept>

#include "train/object_crops.h"

namespace train {

data::Image crop_sheet(
    const std::vector<const float*>& crops, int size, int columns, int group, int zoom) {
  if (size <= 0 || columns <= 0 || group <= 0 || zoom <= 0)
    throw std::invalid_argument("crop_sheet: size, columns, group and zoom must be positive");
  const int tile = zoom * size, gap = 3, group_gap = 6;
  const int count = static_cast<int>(crops.size());
  const int used_columns = std::max(1, std::min(columns, count));
  const int rows = std::max(1, (count + columns - 1) / columns);
  // Left edge of column c: margin, tiles and gaps before it (a wider one between groups).
  const auto column_x = [&](int c) {
    return group_gap + c * (tile + gap) + (c / group) * (group_gap - gap);
  };
  data::Image sheet(column_x(used_columns - 1) + tile + group_gap,
                    rows * (tile + group_gap) + group_gap);
  std::fill(sheet.pixels.begin(), sheet.pixels.end(), std::uint8_t{96});
  for (int k = 0; k < count; ++k) {
    const data::Image crop = crop_to_image(crops[static_cast<std::size_t>(k)], size);
    const int x0 = column_x(k % columns), y0 = group_gap + (k / columns) * (tile + group_gap);
    for (int y = 0; y < tile; ++y)
      for (int x = 0; x < tile; ++x)
        std::copy_n(crop.at(x / zoom, y / zoom), 3, sheet.at(x0 + x, y0 + y));
  }
  return sheet;
}

}  // namespace train
