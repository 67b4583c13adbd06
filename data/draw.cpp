// Rectangle, outline and bitmap-font text drawing (see draw.h); every write goes through
// fill_rect, which clips to the image.
#include "data/draw.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "data/bitmap_font.h"

namespace data {

void fill_rect(Image& image, int x0, int y0, int x1, int y1, Color color) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width), y1 = std::min(y1, image.height);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      std::uint8_t* p = image.at(x, y);
      p[0] = color.r, p[1] = color.g, p[2] = color.b;
    }
}

namespace {
// Box corner -> pixel index, clamped so huge or non-finite values cannot overflow an int.
int pixel(double v, int limit) {
  if (!std::isfinite(v)) return v > 0 ? limit : 0;
  return static_cast<int>(std::clamp(v, -1.0, static_cast<double>(limit) + 1.0));
}
}  // namespace

void draw_box(Image& image, const Box& box, Color color, int thickness) {
  if (thickness <= 0) throw std::invalid_argument("draw_box: thickness must be positive");
  const int x0 = pixel(std::floor(box.x1), image.width),
            y0 = pixel(std::floor(box.y1), image.height);
  const int x1 = pixel(std::ceil(box.x2), image.width), y1 = pixel(std::ceil(box.y2), image.height);
  if (x1 <= x0 || y1 <= y0) return;
  const int t = std::min({thickness, x1 - x0, y1 - y0});
  fill_rect(image, x0, y0, x1, y0 + t, color);  // top
  fill_rect(image, x0, y1 - t, x1, y1, color);  // bottom
  fill_rect(image, x0, y0, x0 + t, y1, color);  // left
  fill_rect(image, x1 - t, y0, x1, y1, color);  // right
}

int text_width(std::string_view text, int scale) {
  if (text.empty()) return 0;
  return (static_cast<int>(text.size()) * font::kAdvance - 1) * scale;
}

int text_height(int scale) {
  return font::kGlyphHeight * scale;
}

void draw_text(Image& image, int x, int y, std::string_view text, Color color, int scale) {
  if (scale <= 0) throw std::invalid_argument("draw_text: scale must be positive");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const font::Glyph& g = font::glyph(text[i]);
    const int left = x + static_cast<int>(i) * font::kAdvance * scale;
    for (int row = 0; row < font::kGlyphHeight; ++row)
      for (int col = 0; col < font::kGlyphWidth; ++col)
        if (g[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)] == '#')
          fill_rect(image, left + col * scale, y + row * scale, left + (col + 1) * scale,
                    y + (row + 1) * scale, color);
  }
}

void draw_label(Image& image,
                const Box& box,
                std::string_view text,
                Color background,
                Color text_color,
                int scale) {
  const int pad = scale;
  const int w = text_width(text, scale) + 2 * pad, h = text_height(scale) + 2 * pad;
  int x = pixel(std::floor(box.x1), image.width);
  int y = pixel(std::floor(box.y1), image.height) - h;
  if (y < 0) y = std::max(0, pixel(std::floor(box.y1), image.height));  // no room above: inside
  x = std::clamp(x, 0, std::max(0, image.width - w));
  fill_rect(image, x, y, x + w, y + h, background);
  draw_text(image, x + pad, y + pad, text, text_color, scale);
}

}  // namespace data
