// The bitmap font and drawing helpers: every glyph distinct and well formed, drawn text reads
// back glyph by glyph, boxes and labels land on the pixels the box convention says, all clipped.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <limits>

#include "data/bitmap_font.h"
#include "data/draw.h"

namespace data {
namespace {

constexpr Color kBlack{0, 0, 0}, kWhite{255, 255, 255}, kRed{255, 0, 0};

Color pixel(const Image& image, int x, int y) {
  const std::uint8_t* p = image.at(x, y);
  return {p[0], p[1], p[2]};
}

TEST(BitmapFont, GlyphsAreWellFormedAndDistinct) {
  const std::string_view chars = font::covered_characters();
  for (char c : chars) {
    const auto& g = font::glyph(c);
    int ink = 0;
    for (auto row : g) {
      ASSERT_EQ(row.size(), static_cast<std::size_t>(font::kGlyphWidth)) << "glyph '" << c << "'";
      for (char p : row) {
        EXPECT_TRUE(p == '#' || p == ' ') << "glyph '" << c << "'";
        ink += p == '#';
      }
    }
    EXPECT_EQ(ink == 0, c == ' ') << "glyph '" << c << "'";
    for (char d : chars)
      if (d != c) {
        EXPECT_NE(g, font::glyph(d)) << "'" << c << "' and '" << d << "' look the same";
      }
  }
  EXPECT_EQ(font::glyph('a'), font::glyph('A'));
  EXPECT_EQ(font::glyph('~'), font::glyph('?'));
}

// Reads text back from an image by matching each character cell against every glyph.
std::string read_text(const Image& image, int x, int y, std::size_t length, int scale) {
  std::string out;
  for (std::size_t i = 0; i < length; ++i) {
    const int left = x + static_cast<int>(i) * font::kAdvance * scale;
    char best = '\0';
    for (char c : font::covered_characters()) {
      bool same = true;
      for (int row = 0; row < font::kGlyphHeight && same; ++row)
        for (int col = 0; col < font::kGlyphWidth && same; ++col)
          for (int dy = 0; dy < scale && same; ++dy)
            for (int dx = 0; dx < scale && same; ++dx) {
              const bool inked =
                  pixel(image, left + col * scale + dx, y + row * scale + dy) == kWhite;
              same = inked ==
                     (font::glyph(
                          c)[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)] == '#');
            }
      if (same) best = c;
    }
    out.push_back(best);
  }
  return out;
}

TEST(DrawText, ReadsBackAtEveryScaleAndTouchesNothingElse) {
  const std::string text = "unknown 0.87 circle: (5/9) #12 +3% it's ok?";
  std::string upper;
  for (char c : text)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  for (int scale : {1, 2, 3}) {
    Image image(text_width(text, scale) + 10, text_height(scale) + 9);
    draw_text(image, 4, 5, text, kWhite, scale);
    EXPECT_EQ(read_text(image, 4, 5, text.size(), scale), upper) << "scale " << scale;
    for (int y = 0; y < image.height; ++y)
      for (int x = 0; x < image.width; ++x) {
        const bool inside =
            x >= 4 && x < 4 + text_width(text, scale) && y >= 5 && y < 5 + text_height(scale);
        if (!inside) {
          ASSERT_EQ(pixel(image, x, y), kBlack) << x << "," << y;
        }
      }
  }
  EXPECT_EQ(text_width("", 2), 0);
  EXPECT_EQ(text_width("ab", 2), (2 * font::kAdvance - 1) * 2);
}

TEST(DrawText, ClipsAtTheImageBorder) {
  Image image(20, 10);
  draw_text(image, -7, -3, "WIDE TEXT", kWhite, 2);  // starts and ends outside
  draw_text(image, 15, 6, "X", kWhite, 3);
  int ink = 0;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) ink += pixel(image, x, y) == kWhite;
  EXPECT_GT(ink, 0);
  EXPECT_THROW(draw_text(image, 0, 0, "A", kWhite, 0), std::invalid_argument);
}

TEST(DrawBox, OutlineOnTheBoxPixelsOnly) {
  Image image(40, 30);
  draw_box(image, Box{10.2, 5, 30, 20.5}, kRed, 2);  // columns 10..29, rows 5..20
  EXPECT_EQ(pixel(image, 10, 5), kRed);
  EXPECT_EQ(pixel(image, 11, 12), kRed);    // left edge, second column
  EXPECT_EQ(pixel(image, 12, 12), kBlack);  // interior
  EXPECT_EQ(pixel(image, 29, 20), kRed);
  EXPECT_EQ(pixel(image, 28, 19), kRed);
  EXPECT_EQ(pixel(image, 27, 18), kBlack);
  EXPECT_EQ(pixel(image, 30, 12), kBlack);  // right of the box
  EXPECT_EQ(pixel(image, 20, 21), kBlack);  // below
  EXPECT_EQ(pixel(image, 9, 5), kBlack);
  // Boxes beyond the image, inverted or not finite: clipped or skipped, never out of bounds.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  draw_box(image, Box{-50, -50, 1e12, 1e12}, kWhite, 3);
  EXPECT_EQ(pixel(image, 39, 29), kWhite);
  EXPECT_EQ(pixel(image, 20, 15), kBlack);  // the first box's interior is still untouched
  EXPECT_EQ(pixel(image, 10, 5), kRed);     // and its outline too
  draw_box(image, Box{nan, 0, inf, nan}, kWhite, 2);
  draw_box(image, Box{20, 20, 10, 10}, kWhite, 2);
  EXPECT_THROW(draw_box(image, Box{0, 0, 5, 5}, kWhite, 0), std::invalid_argument);
}

TEST(DrawLabel, AboveTheBoxOrInsideAtTheTop) {
  Image image(80, 60);
  draw_label(image, Box{20, 30, 60, 50}, "AB", kRed, kWhite, 1);
  const int h = text_height(1) + 2;           // one pixel of padding above and below
  EXPECT_EQ(pixel(image, 20, 30 - h), kRed);  // tag's top-left corner
  EXPECT_EQ(pixel(image, 20, 29), kRed);      // it ends right above the box
  EXPECT_EQ(pixel(image, 20, 30), kBlack);
  EXPECT_EQ(read_text(image, 21, 30 - h + 1, 2, 1), "AB");
  Image top(80, 60);
  draw_label(top, Box{70, 0, 79, 20}, "XYZ", kRed, kWhite, 1);  // no room above, none right
  const int w = text_width("XYZ", 1) + 2;
  EXPECT_EQ(pixel(top, 80 - w, 0), kRed);
  EXPECT_EQ(read_text(top, 80 - w + 1, 1, 3, 1), "XYZ");
}

}  // namespace
}  // namespace data
