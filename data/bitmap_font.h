// A small 5x7 bitmap font of our own (upper-case letters, digits, common punctuation) for the
// labels that `train_dreambox detect` draws; lower case renders as upper case.
#pragma once

#include <array>
#include <string_view>

namespace data::font {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kAdvance = kGlyphWidth + 1;  // one blank column between glyphs

// Seven rows of five characters, '#' = ink, ' ' = blank, top row first.
using Glyph = std::array<std::string_view, kGlyphHeight>;

// The glyph drawn for `c`: lower case maps to upper case; characters without a glyph get '?'.
const Glyph& glyph(char c);
// Every character that has a glyph of its own (space included).
std::string_view covered_characters();

}  // namespace data::font
