// A pre-check for JPEG input that stb_image 2.27 (Debian 12) mishandles: a DHT segment declaring
// more than 256 Huffman codes overflows stb's tables (found by fuzz/fuzz_image). Fixed upstream
// in stb_image 2.28; this guard keeps hostile files away from the older decoder.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace data::detail {

// Empty when fine (or not a JPEG), else the problem, e.g. "Huffman table with 4080 codes".
std::string check_jpeg_huffman_tables(std::span<const std::uint8_t> bytes);

}  // namespace data::detail
