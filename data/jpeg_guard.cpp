// JPEG Huffman-table guard (see jpeg_guard.h). Deliberately conservative: every FF C4 (DHT)
// marker anywhere in the file is checked, whether or not the decoder would reach it.
#include "data/jpeg_guard.h"

namespace data::detail {

std::string check_jpeg_huffman_tables(std::span<const std::uint8_t> b) {
  // stb takes a file as JPEG when it starts with FF, any number of FF fill bytes, then D8 (SOI).
  std::size_t start = 0;
  while (start < b.size() && b[start] == 0xFF) ++start;
  if (start == 0 || start >= b.size() || b[start] != 0xD8) return {};
  for (std::size_t i = start; i + 3 < b.size(); ++i) {
    if (b[i] != 0xFF || b[i + 1] != 0xC4) continue;
    std::size_t length = (static_cast<std::size_t>(b[i + 2]) << 8) | b[i + 3];  // includes itself
    std::size_t p = i + 4, end = i + 2 + length;
    // Tables follow each other: class/id byte, 16 counts, then sum(counts) symbol bytes. Bytes
    // past the end of the file count as 0, as stb reads them.
    while (p < end && p < b.size()) {
      std::size_t codes = 0;
      for (std::size_t k = 1; k <= 16 && p + k < b.size(); ++k) codes += b[p + k];
      if (codes > 256)
        return "corrupt JPEG: Huffman table with " + std::to_string(codes) + " codes (at most 256)";
      p += 17 + codes;
    }
  }
  return {};
}

}  // namespace data::detail
