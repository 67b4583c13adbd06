// Drawing on 8-bit RGB images: filled rectangles, box outlines and text in the project's bitmap
// font, all clipped to the image, for the annotated pictures of `train_dreambox detect`.
#pragma once

#include <cstdint>
#include <string_view>

#include "data/box.h"
#include "data/image.h"

namespace data {

struct Color {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color&) const = default;
};

// Fills the pixels x0 <= x < x1, y0 <= y < y1 (parts outside the image are skipped).
void fill_rect(Image& image, int x0, int y0, int x1, int y1, Color color);
// The outline of `box` (box.h convention: pixel columns floor(x1) .. ceil(x2) - 1), `thickness`
// pixels wide, drawn inwards.
void draw_box(Image& image, const Box& box, Color color, int thickness = 2);

// Size of `text` in the bitmap font at `scale` (each font pixel a scale x scale square).
int text_width(std::string_view text, int scale = 1);
int text_height(int scale = 1);
// Draws `text` with its top-left corner at (x, y); only ink pixels are written.
void draw_text(Image& image, int x, int y, std::string_view text, Color color, int scale = 1);

// A label tag for a box: `text` in `text_color` on a filled `background` rectangle sitting on
// top of the box's upper edge (inside the box when there is no room above), kept in the image.
void draw_label(Image& image,
                const Box& box,
                std::string_view text,
                Color background,
                Color text_color,
                int scale = 1);

}  // namespace data
